// swift-tools-version:6.0
import PackageDescription

// Three C libraries, each reached through one system-library target and imported by
// exactly one Swift module: COpenSSL by KMSCrypto, CPostgres by KMSStorage, CFastCGI by KMSFastCGI.
let package = Package(
    name: "kms",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kms-responder", targets: ["kms-responder"]),
        .executable(name: "kmsctl", targets: ["kmsctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Seed files are YAML (issue 18): libyaml underneath, and each node keeps its line.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CFastCGI", providers: [.apt(["libfcgi-dev"])]),
        // Linux process controls the responder needs (non-dumpable); header only.
        .systemLibrary(name: "CLinux"),

        // Domain core: keys, states, envelope, context, errors. No C, no I/O.
        .target(name: "KMSCore"),
        // All cryptography, on OpenSSL 3's libcrypto.
        .target(name: "KMSCrypto", dependencies: ["KMSCore", "COpenSSL"]),
        // PostgreSQL through libpq: connections, migrations, statements.
        .target(name: "KMSStorage", dependencies: ["KMSCore", "CPostgres"]),
        // One HTTP exchange as plain values: what a transport hands the API and gets back. No I/O.
        .target(name: "KMSHTTP"),
        // Prometheus exposition: metric families, histograms, counters summed at scrape time. No I/O.
        .target(name: "KMSMetrics"),
        // CAM policy documents (syntax 2.0): parse, validate, compile, decide. Pure Swift, no I/O.
        .target(name: "KMSAccess", dependencies: ["KMSCore"]),
        // The service behind the API: every operation on a key in one place, and the work a
        // running deployment does by itself (scheduler, audit trail, caches and their invalidation,
        // wrapping-key pool, master-key rotation, accounts). Knows no HTTP.
        .target(name: "KMSService", dependencies: ["KMSCore", "KMSCrypto", "KMSStorage", "KMSAccess"]),
        // The Tencent wire protocol: requests, signatures, parameters, action table, handlers.
        .target(name: "KMSAPI", dependencies: ["KMSCore", "KMSCrypto", "KMSStorage", "KMSService", "KMSHTTP", "KMSMetrics", "KMSAccess"]),
        // Seed files (`kmsctl apply`): what a file asks a stack to hold, parsed and checked, then
        // applied through the service's key operations in one transaction.
        .target(name: "KMSProvisioning", dependencies: ["KMSCore", "KMSCrypto", "KMSStorage", "KMSService",
                                                        .product(name: "Yams", package: "Yams")]),
        // libfcgi accept loop: turns FastCGI requests into plain values.
        .target(name: "KMSFastCGI", dependencies: ["KMSCore", "KMSHTTP", "CFastCGI"]),

        // The responder: FastCGI workers answering through KMSAPI, plus the service's background threads.
        .executableTarget(name: "kms-responder", dependencies: [
            "CLinux", "KMSAPI", "KMSService", "KMSHTTP", "KMSFastCGI", "KMSStorage", "KMSCrypto", "KMSCore", "KMSMetrics",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The operator's CLI: accounts, master keys, audit, jobs. Links the service, not the HTTP layer.
        .executableTarget(name: "kmsctl", dependencies: [
            "KMSService", "KMSStorage", "KMSCrypto", "KMSCore", "KMSProvisioning",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // libFuzzer targets (README, "Fuzzing"): built with `-sanitize=fuzzer,address -DFUZZING` into .build-fuzz by
        // `scripts/kms test`; a plain build gives each one a main that replays the files it is given.
        .target(name: "FuzzDriver", path: "Fuzz/Driver"),
        .executableTarget(name: "FuzzRequestDecoder", dependencies: ["FuzzDriver", "KMSAPI", "KMSHTTP", "KMSCore"], path: "Fuzz/RequestDecoder"),
        .executableTarget(name: "FuzzFormDecoding", dependencies: ["FuzzDriver", "KMSAPI", "KMSCore"], path: "Fuzz/FormDecoding"),
        .executableTarget(name: "FuzzEnvelope", dependencies: ["FuzzDriver", "KMSCore"], path: "Fuzz/Envelope"),
        .executableTarget(name: "FuzzAuthorization", dependencies: ["FuzzDriver", "KMSAPI"], path: "Fuzz/Authorization"),

        // Unit tests, no server: one target per module they test.
        .testTarget(name: "KMSCoreTests", dependencies: ["KMSCore"]),
        .testTarget(name: "KMSCryptoTests", dependencies: ["KMSCrypto", "KMSCore"]),
        .testTarget(name: "KMSHTTPTests", dependencies: ["KMSHTTP"]),
        .testTarget(name: "KMSMetricsTests", dependencies: ["KMSMetrics"]),
        .testTarget(name: "KMSAccessTests", dependencies: ["KMSAccess", "KMSCore"]),
        .testTarget(name: "KMSProvisioningTests", dependencies: ["KMSProvisioning", "KMSCore"]),
        .testTarget(name: "KMSServiceTests", dependencies: ["KMSService", "KMSCrypto", "KMSCore"]),
        .testTarget(name: "KMSAPITests", dependencies: ["KMSAPI", "KMSService", "KMSHTTP", "KMSCrypto", "KMSCore", "KMSMetrics"]),
        // The storage layer's logic without a server: transaction state machine, bindings, row decoding.
        .testTarget(name: "KMSStorageTests", dependencies: ["KMSStorage", "KMSCore"]),
        // Integration: needs KMS_TEST_DATABASE_URL (scripts/kms test starts a real PostgreSQL).
        .testTarget(name: "KMSIntegrationTests", dependencies: ["KMSAPI", "KMSService", "KMSHTTP", "KMSStorage", "KMSCrypto", "KMSCore",
                                                              "KMSProvisioning"]),
    ],
    swiftLanguageModes: [.v5]
)
