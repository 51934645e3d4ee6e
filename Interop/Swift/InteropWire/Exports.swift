/// `import InteropWire` brings the runtime (``WireMessage``, ``WireError``, the protobuf-c gRPC
/// serializers) along with the generated `grpc.testing` message types and TestService stubs.
@_exported public import WireRuntime
