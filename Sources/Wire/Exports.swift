/// `import Wire` brings the runtime (``WireMessage``, ``WireError``, ``DecodingLimits``, the protobuf-c
/// gRPC serializers) along with the generated message types.
@_exported public import WireRuntime
