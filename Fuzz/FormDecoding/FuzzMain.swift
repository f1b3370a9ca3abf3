// libFuzzer entry point (Fuzz/Driver): hands `fuzz` to libFuzzer, or replays files in a debug build.
import FuzzDriver

@main
enum FuzzMain {
    static func main() {
        #if DEBUG
        // A closure, not `fuzz` itself: converting an @_cdecl function to @convention(c) emits its C symbol twice.
        runFuzzTarget { fuzz($0, $1) }
        #else
        refuseReleaseBuild()
        #endif
    }
}
