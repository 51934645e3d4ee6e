import Foundation

/// Emits the module's schema index: every message type (for run-time lookup by name) and every
/// file's FileDescriptorProto (for gRPC server reflection).
struct SchemaEmitter {
  func emit(_ schema: Schema, module: String, into w: inout CodeWriter) {
    w.doc("", fallback: "The schema of module \(module): its message types and file descriptors.")
    w.block("public enum \(module)Schema {") { w in
      w.line("/// Every message type, by fully qualified name.")
      w.line("public static let registry = WireRegistry([")
      for message in schema.allMessages { w.line("  \(message.swiftName).self,") }
      w.line("])")
      w.line()
      w.line("/// The fully qualified names of every service.")
      w.line("public static let services: [String] = [")
      for file in schema.files {
        for service in file.services { w.line("  \(swiftLiteral(service.fullName)),") }
      }
      w.line("]")
      w.line()
      w.line("/// Each .proto file's serialized google.protobuf.FileDescriptorProto (without source info),")
      w.line("/// by file name, in dependency order.")
      w.line("public static let fileDescriptors: [(name: String, bytes: Data)] = [")
      for file in schema.files {
        let base64 = Data(file.descriptorBytes).base64EncodedString()
        w.line("  (\(swiftLiteral(file.name)), Data(base64Encoded: \(swiftLiteral(base64)))!),")
      }
      w.line("]")
    }
  }
}
