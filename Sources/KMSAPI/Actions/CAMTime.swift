import KMSCore

/// CAM's time strings (`CreateTime`, `AddTime`): `YYYY-MM-DD hh:mm:ss`, in UTC here (Tencent's
/// console shows Beijing time; a self-hosted service keeps one zone with its logs).
enum CAMTime {
    static func format(_ unixSeconds: Int64) -> String {
        let days = Int(unixSeconds.quotientAndRemainder(dividingBy: 86_400).quotient - (unixSeconds % 86_400 < 0 ? 1 : 0))
        let seconds = Int(unixSeconds - Int64(days) * 86_400)
        let (y, m, d) = CivilDate.of(daysSinceEpoch: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(d)) \(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }
}
