// The entry point shared by every fuzz target.
//
// SwiftPM links an executable's `main` to its module's `@main`, so libFuzzer's own `main` never
// runs: built with -DFUZZING, `runFuzzTarget` hands over to libFuzzer's driver; in a plain debug
// build it runs each file named on the command line through the target once (to reproduce a crash).
import Glibc

#if FUZZING
/// compiler-rt's `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t))`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif

/// The target being run; libFuzzer's C callback cannot capture it, so it reaches it through here.
nonisolated(unsafe) private var currentTarget: ((UnsafePointer<UInt8>?, Int) -> CInt)?

/// Runs `target` under libFuzzer (FUZZING builds) or over the files named on the command line.
public func runFuzzTarget(_ target: @escaping (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    currentTarget = target
    #if FUZZING
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { currentTarget!($0, $1) })
    #elseif DEBUG
    let paths = CommandLine.arguments.dropFirst()
    if paths.isEmpty {
        fputs("usage: \(CommandLine.arguments[0]) FILE… (runs each file through the fuzz target once)\n", stderr)
        exit(2)
    }
    for path in paths {
        guard let bytes = readFile(path) else {
            fputs("cannot read \(path)\n", stderr)
            exit(2)
        }
        _ = bytes.withUnsafeBufferPointer { target($0.baseAddress, $0.count) }
        print("\(path): ok (\(bytes.count) bytes)")
    }
    exit(0)
    #else
    refuseReleaseBuild()
    #endif
}

/// The targets reach KMSAPI's internals through @testable import, which needs a debug build;
/// a release build of a target only says so.
public func refuseReleaseBuild() -> Never {
    let name = CommandLine.arguments[0].split(separator: "/").last.map(String.init) ?? ""
    fputs("fuzz targets are debug builds: swift build --product \(name)\n", stderr)
    exit(2)
}

private func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n == 0 { return ferror(file) == 0 ? bytes : nil }
        bytes += chunk[..<n]
    }
}
