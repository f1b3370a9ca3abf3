/// Calendar dates of Unix days, in the proleptic Gregorian calendar (UTC), computed without libc
/// so that no time zone, locale or lock is involved.
public enum CivilDate {
    /// Year, month (1-12) and day (1-31) of the day `daysSinceEpoch` days after 1970-01-01
    /// (Howard Hinnant's `civil_from_days`).
    public static func of(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
