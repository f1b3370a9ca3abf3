#if canImport(Glibc)
import Glibc
#endif

/// Monotonic time, read where a request starts and ends.
public enum DispatchTimeNow {
    /// Nanoseconds since an arbitrary start.
    public static var nanoseconds: UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }
}

/// Wall-clock time, for record timestamps.
enum WallClock {
    static var milliseconds: UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return UInt64(t.tv_sec) * 1000 + UInt64(t.tv_nsec) / 1_000_000
    }
}
