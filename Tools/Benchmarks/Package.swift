// swift-tools-version:6.1
//
// Benchmarks for SeHealthChain. A separate package so that benchmark-only dependencies (such as
// swift-protobuf, the anchor for the wire benchmarks) never enter the product's build. Each benchmark
// measures its anchor in the same run and prints the ratio. Run them all with `make bench`.
import PackageDescription

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
  name: "SeHealthChainBenchmarks",
  platforms: [.macOS(.v15)],
  dependencies: [
    .package(name: "SeHealthChain", path: "../..")
  ],
  targets: [
    .target(name: "BenchSupport", swiftSettings: swiftSettings),
    .executableTarget(
      name: "bench-crypto",
      dependencies: ["BenchSupport", .product(name: "ChainCrypto", package: "SeHealthChain")],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "bench-ledger",
      dependencies: [
        "BenchSupport",
        .product(name: "ChainCrypto", package: "SeHealthChain"),
        .product(name: "Ledger", package: "SeHealthChain"),
        .product(name: "Wire", package: "SeHealthChain"),
      ],
      swiftSettings: swiftSettings
    ),
  ]
)
