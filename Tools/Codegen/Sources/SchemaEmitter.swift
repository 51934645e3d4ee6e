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
      w.line("/// The file that declares each fully qualified symbol (messages, enums, services and their")
      w.line("/// methods as `package.Service.Method`), for server reflection's file_containing_symbol.")
      w.line("public static let symbolFiles: [String: String] = [")
      var symbols: [(String, String)] = []
      for file in schema.files {
        for message in file.allMessages { symbols.append((message.fullName, file.name)) }
        for enumType in file.allEnums { symbols.append((enumType.fullName, file.name)) }
        for service in file.services {
          symbols.append((service.fullName, file.name))
          for method in service.methods { symbols.append((service.fullName + "." + method.name, file.name)) }
        }
      }
      for (symbol, file) in symbols.sorted(by: { $0.0 < $1.0 }) {
        w.line("  \(swiftLiteral(symbol)): \(swiftLiteral(file)),")
      }
      w.line("]")
      w.line()
      w.line("/// The files each .proto file imports, by file name, in declaration order (for server")
      w.line("/// reflection, which sends a file with its transitive dependencies).")
      w.line("public static let fileDependencies: [String: [String]] = [")
      for file in schema.files {
        let list = file.dependencies.map(swiftLiteral).joined(separator: ", ")
        w.line("  \(swiftLiteral(file.name)): [\(list)],")
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
