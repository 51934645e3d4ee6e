import GRPCCodeGen

/// Emits grpc-swift (`GRPCCore`) service stubs with grpc-swift's own generator, plugging in the
/// protobuf-c serializers.
struct ServiceEmitter {
  let index: TypeIndex

  func emit(_ file: ProtoFile, header: String) throws -> String {
    let services = file.services.map { service in
      ServiceDescriptor(
        documentation: docComment(service.comment),
        name: ServiceName(
          identifyingName: service.fullName, typeName: service.name,
          propertyName: Naming.swiftProperty(Naming.screamingSnake(service.name).lowercased())),
        methods: service.methods.map { method in
          MethodDescriptor(
            documentation: docComment(method.comment),
            name: MethodName(
              identifyingName: method.name, typeName: method.name,
              functionName: Naming.swiftProperty(Naming.screamingSnake(method.name).lowercased())),
            isInputStreaming: method.clientStreaming,
            isOutputStreaming: method.serverStreaming,
            inputType: index.messages[method.inputType]!.swiftName,
            outputType: index.messages[method.outputType]!.swiftName)
        })
    }
    let request = CodeGenerationRequest(
      fileName: file.name,
      leadingTrivia: header,
      dependencies: [Dependency(module: "WireRuntime", accessLevel: .internal)],
      services: services,
      makeSerializerCodeSnippet: { "WireRuntime.ProtobufCSerializer<\($0)>()" },
      makeDeserializerCodeSnippet: { "WireRuntime.ProtobufCDeserializer<\($0)>()" })
    var config = CodeGenerator.Config(
      accessLevel: .public, accessLevelOnImports: true, client: true, server: true, indentation: 2)
    config.grpcCoreModuleName = "GRPCCore"
    return try CodeGenerator(config: config).generate(request).contents
  }

  private func docComment(_ comment: String) -> String {
    var writer = CodeWriter()
    writer.doc(comment)
    return writer.text.hasSuffix("\n") ? String(writer.text.dropLast()) : writer.text
  }
}
