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
    .package(name: "SeHealthChain", path: "../.."),
    // The anchor of the wire benchmarks; its protoc plugin regenerates Sources/bench-wire/SwiftProtobuf.
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
    .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
  ],
  targets: [
    .target(name: "BenchSupport", swiftSettings: swiftSettings),
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
    // Our gRPC over OpenSSL against grpc-swift's stock Posix transports over NIOSSL.
    .executableTarget(
      name: "bench-rpc",
      dependencies: [
        "BenchSupport",
        .product(name: "RPC", package: "SeHealthChain"),
        .product(name: "TLS", package: "SeHealthChain"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
      ],
      swiftSettings: swiftSettings
    ),
    // An 8-node network in this process against the Ed25519 ceiling of the machine.
    .executableTarget(
      name: "bench-node",
      dependencies: [
        "BenchSupport",
        .product(name: "ChainCrypto", package: "SeHealthChain"),
        .product(name: "Ledger", package: "SeHealthChain"),
        .product(name: "Node", package: "SeHealthChain"),
        .product(name: "RPC", package: "SeHealthChain"),
        .product(name: "TLS", package: "SeHealthChain"),
        .product(name: "Wire", package: "SeHealthChain"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "bench-crypto",
      dependencies: ["BenchSupport", .product(name: "ChainCrypto", package: "SeHealthChain")],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "bench-wire",
      dependencies: [
        "BenchSupport",
        .product(name: "Wire", package: "SeHealthChain"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: swiftSettings
    ),
  ]
)
