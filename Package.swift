// swift-tools-version:6.1
//
// SeHealthChain: a reputation-based, sharded, dual-chain blockchain node for healthcare records and
// medical images. Layers (lower never import higher), see docs/architecture.md:
//   Wire <- ChainCrypto <- {Ledger, Consensus} <- Node;  TLS <- RPC <- Node;  Simulation drives
//   Consensus over a seeded simulated network with a toy ledger, no I/O.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .swiftLanguageMode(.v6),
  .enableUpcomingFeature("ExistentialAny"),
]

let nio: [Target.Dependency] = [
  .product(name: "NIOCore", package: "swift-nio"),
  .product(name: "NIOPosix", package: "swift-nio"),
]

var targets: [Target] = [
  // MARK: C libraries
  .systemLibrary(
    name: "CProtobufC",
    path: "Sources/CProtobufC",
    pkgConfig: "libprotobuf-c",
    providers: [.apt(["libprotobuf-c-dev"])]
  ),
  .systemLibrary(
    name: "COpenSSL",
    path: "Sources/COpenSSL",
    pkgConfig: "openssl",
    providers: [.apt(["libssl-dev"])]
  ),

  // MARK: Wire (Proto/ through protobuf-c)
  .target(
    name: "WireC",
    dependencies: ["CProtobufC"],
    path: "Sources/WireC"
  ),
  .target(
    name: "WireRuntime",
    dependencies: [
      "CProtobufC",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
    ],
    swiftSettings: swiftSettings
  ),
  .target(
    name: "Wire",
    dependencies: [
      "WireC", "WireRuntime", "CProtobufC",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
    ],
    swiftSettings: swiftSettings
  ),

  .testTarget(
    name: "WireTests",
    dependencies: ["Wire"],
    swiftSettings: swiftSettings
  ),

  // MARK: Code generator (Tools/Codegen), run by `make generate`
  .target(
    name: "DescriptorC",
    dependencies: ["CProtobufC"],
    path: "Tools/Codegen/DescriptorC"
  ),
  .executableTarget(
    name: "sehc-codegen",
    dependencies: [
      "DescriptorC", "CProtobufC",
      .product(name: "GRPCCodeGen", package: "grpc-swift-2"),
    ],
    path: "Tools/Codegen/Sources",
    swiftSettings: swiftSettings
  ),

  .executableTarget(
    name: "sehc-vectors",
    dependencies: ["Wire", "ChainCrypto"],
    path: "Tools/Vectors/Sources",
    swiftSettings: swiftSettings
  ),

  .executableTarget(
    name: "wire-torture",
    dependencies: ["Wire"],
    path: "Tools/WireTorture",
    swiftSettings: swiftSettings
  ),

  // MARK: Crypto and identity (OpenSSL 3; COpenSSL stays an internal import)
  .target(
    name: "ChainCrypto",
    dependencies: ["COpenSSL"],
    swiftSettings: swiftSettings
  ),
  .testTarget(
    name: "ChainCryptoTests",
    dependencies: ["ChainCrypto"],
    swiftSettings: swiftSettings
  ),

  // MARK: Transport
  .target(
    name: "TLS",
    dependencies: [
      "COpenSSL",
      .product(name: "NIOCore", package: "swift-nio"),
      .product(name: "NIOTLS", package: "swift-nio"),
    ],
    swiftSettings: swiftSettings
  ),
  .target(
    name: "RPC",
    dependencies: [
      "TLS",
      .product(name: "NIOCore", package: "swift-nio"),
      .product(name: "NIOPosix", package: "swift-nio"),
      .product(name: "NIOTLS", package: "swift-nio"),
      .product(name: "NIOHTTP2", package: "swift-nio-http2"),
      .product(name: "NIOHPACK", package: "swift-nio-http2"),
      .product(name: "GRPCCore", package: "grpc-swift-2"),
      .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
    ],
    swiftSettings: swiftSettings
  ),
  .target(
    name: "TransportTestSupport",
    path: "Tests/TransportTestSupport",
    swiftSettings: swiftSettings
  ),
  .testTarget(
    name: "TLSTests",
    dependencies: [
      "TLS",
      "TransportTestSupport",
      .product(name: "NIOCore", package: "swift-nio"),
      .product(name: "NIOPosix", package: "swift-nio"),
      .product(name: "NIOEmbedded", package: "swift-nio"),
      .product(name: "NIOTLS", package: "swift-nio"),
    ],
    swiftSettings: swiftSettings
  ),
  .testTarget(
    name: "RPCTests",
    dependencies: [
      "RPC",
      "TLS",
      "InteropCases",
      "InteropWire",
      "TransportTestSupport",
      .product(name: "NIOCore", package: "swift-nio"),
      .product(name: "NIOPosix", package: "swift-nio"),
      .product(name: "NIOEmbedded", package: "swift-nio"),
      .product(name: "NIOTLS", package: "swift-nio"),
      .product(name: "NIOHTTP2", package: "swift-nio-http2"),
      .product(name: "NIOHPACK", package: "swift-nio-http2"),
      .product(name: "GRPCCore", package: "grpc-swift-2"),
    ],
    swiftSettings: swiftSettings
  ),

  // MARK: Interop (Interop/Swift): the grpc.testing TestService on RPC, for interop with stock gRPC
  // InteropWireC and InteropWire/Generated are written by `make generate` from Interop/Proto.
  .target(
    name: "InteropWireC",
    dependencies: ["CProtobufC"],
    path: "Interop/Swift/InteropWireC"
  ),
  .target(
    name: "InteropWire",
    dependencies: [
      "InteropWireC", "WireRuntime", "CProtobufC",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
    ],
    path: "Interop/Swift/InteropWire",
    swiftSettings: swiftSettings
  ),
  // The TestService implementation and the 14 client cases, shared by the executables and RPCTests.
  .target(
    name: "InteropCases",
    dependencies: [
      "InteropWire",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
    ],
    path: "Interop/Swift/InteropCases",
    swiftSettings: swiftSettings
  ),
  .executableTarget(
    name: "interop-server",
    dependencies: [
      "InteropCases", "RPC", "TLS",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
    ],
    path: "Interop/Swift/InteropServer",
    swiftSettings: swiftSettings
  ),
  .executableTarget(
    name: "interop-client",
    dependencies: [
      "InteropCases", "RPC", "TLS",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
    ],
    path: "Interop/Swift/InteropClient",
    swiftSettings: swiftSettings
  ),

  // MARK: Ledger (transactions, blocks, state, SQLite storage, blob store)
  .target(
    name: "Ledger",
    dependencies: [
      "Wire", "ChainCrypto",
      .product(name: "GRDB", package: "GRDB.swift"),
    ],
    swiftSettings: swiftSettings
  ),
  .testTarget(
    name: "LedgerTests",
    dependencies: [
      "Ledger", "Wire", "ChainCrypto", "ledger-crash-writer",
      .product(name: "GRDB", package: "GRDB.swift"),
    ],
    swiftSettings: swiftSettings
  ),
  // Writes blocks in a loop for the crash test (LedgerTests/CrashTests), which kills it with SIGKILL.
  .executableTarget(
    name: "ledger-crash-writer",
    dependencies: ["Ledger", "Wire", "ChainCrypto"],
    path: "Tools/LedgerCrashWriter",
    swiftSettings: swiftSettings
  ),

  // MARK: Node foundations: configuration, genesis, users and tokens, health, reflection, metrics, logs
  .target(
    name: "Node",
    dependencies: [
      "Wire", "ChainCrypto", "Ledger", "Consensus", "RPC", "TLS",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
      .product(name: "NIOCore", package: "swift-nio"),
      .product(name: "NIOPosix", package: "swift-nio"),
      .product(name: "NIOHTTP1", package: "swift-nio"),
      .product(name: "Logging", package: "swift-log"),
      .product(name: "Metrics", package: "swift-metrics"),
      .product(name: "Prometheus", package: "swift-prometheus"),
      .product(name: "GRDB", package: "GRDB.swift"),
      .product(name: "JWTKit", package: "jwt-kit"),
      .product(name: "TOMLKit", package: "TOMLKit"),
    ],
    swiftSettings: swiftSettings
  ),
  .testTarget(
    name: "NodeTests",
    dependencies: [
      "Node", "Wire", "ChainCrypto", "Ledger",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
      .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
      .product(name: "NIOCore", package: "swift-nio"),
      .product(name: "NIOPosix", package: "swift-nio"),
      .product(name: "Logging", package: "swift-log"),
      .product(name: "Metrics", package: "swift-metrics"),
      .product(name: "JWTKit", package: "jwt-kit"),
    ],
    swiftSettings: swiftSettings
  ),

  // MARK: Consensus (pure state machines: TChain, RChain, reputation, sharding, relay; no I/O)
  .target(
    name: "Consensus",
    dependencies: ["Wire", "ChainCrypto"],
    swiftSettings: swiftSettings
  ),
  .testTarget(
    name: "ConsensusTests",
    dependencies: ["Consensus", "Wire", "ChainCrypto"],
    swiftSettings: swiftSettings
  ),

  // MARK: Deterministic simulation over Consensus (no networking)
  .target(
    name: "Simulation",
    dependencies: ["Consensus", "Wire", "ChainCrypto", .product(name: "TOMLKit", package: "TOMLKit")],
    swiftSettings: swiftSettings
  ),
  .testTarget(
    name: "SimulationTests",
    dependencies: ["Simulation", "Consensus", "Wire", "ChainCrypto", "sehc"],
    swiftSettings: swiftSettings
  ),
  .executableTarget(
    name: "consensus-soak",
    dependencies: [
      "Simulation", "Consensus",
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ],
    path: "Tools/ConsensusSoak",
    swiftSettings: swiftSettings
  ),

  // MARK: Command line
  .executableTarget(
    name: "sehc",
    dependencies: [
      "Wire", "ChainCrypto", "Node", "Simulation", "RPC", "TLS",
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
      .product(name: "GRPCCore", package: "grpc-swift-2"),
    ],
    swiftSettings: swiftSettings
  ),
]

let package = Package(
  name: "SeHealthChain",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "sehc", targets: ["sehc"]),
    .library(name: "Wire", targets: ["Wire"]),
    .library(name: "ChainCrypto", targets: ["ChainCrypto"]),
    .library(name: "Ledger", targets: ["Ledger"]),
    .library(name: "TLS", targets: ["TLS"]),
    .library(name: "RPC", targets: ["RPC"]),
    .library(name: "Node", targets: ["Node"]),
    .library(name: "Consensus", targets: ["Consensus"]),
    .library(name: "Simulation", targets: ["Simulation"]),
    .executable(name: "consensus-soak", targets: ["consensus-soak"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
    .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
    .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
    .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
  ],
  targets: targets
)
