// swift-tools-version:6.0
import PackageDescription

/// Release builds of the numerical core skip overflow/bounds traps in hot loops.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "Distill",
    products: [
        .executable(name: "distill-coordinator", targets: ["Coordinator"]),
        .executable(name: "distill-worker", targets: ["Worker"]),
        .library(name: "Core", targets: ["Core"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", "5.0.0"..<"7.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CZMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "Core",
            dependencies: [
                "CBLAS", "CZMQ", "CZlib",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: fastMath
        ),
        .executableTarget(
            name: "Coordinator",
            dependencies: ["Core", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: fastMath
        ),
        .executableTarget(
            name: "Worker",
            dependencies: ["Core", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: fastMath
        ),
        // Fuzzing (`make fuzz`): the shared harness, libFuzzer's driver declaration and the fuzz binary.
        .target(name: "FuzzHarness", dependencies: ["Core"]),
        .systemLibrary(name: "CLibFuzzer"),
        .executableTarget(name: "DistillFuzz", dependencies: ["FuzzHarness", "CLibFuzzer"]),
        .testTarget(name: "CoreTests", dependencies: ["Core", "FuzzHarness"]),
    ],
    swiftLanguageModes: [.v5]
)
