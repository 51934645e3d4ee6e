public import Foundation

/// Message types by their fully qualified protobuf names, for tools that pick a type at run time
/// (`sehc wire`, reflection, test vectors).
public struct WireRegistry: Sendable {
  /// The registered types by name.
  public let types: [String: any WireMessage.Type]

  public init(_ types: [any WireMessage.Type]) {
    self.types = Dictionary(uniqueKeysWithValues: types.map { ($0.protoMessageName, $0) })
  }

  /// The sorted names of every registered type.
  public var names: [String] { types.keys.sorted() }

  /// The type with this name; the error suggests close names.
  public func type(named name: String) throws -> any WireMessage.Type {
    if let type = types[name] { return type }
    let lower = name.lowercased()
    let suggestions = names.filter {
      $0.lowercased().hasSuffix("." + lower)
        || $0.lowercased().contains(lower.split(separator: ".").last ?? "")
    }
    var detail = "unknown message type \"\(name)\""
    if !suggestions.isEmpty { detail += "; did you mean \(suggestions.prefix(3).joined(separator: ", "))?" }
    detail += " (`sehc wire types` lists them)"
    throw WireError(.unknownType, messageType: name, detail: detail)
  }

  /// Decodes binary input as the named type.
  public func decode(_ name: String, from bytes: some ContiguousBytes, limits: DecodingLimits = .default)
    throws
    -> any WireMessage
  {
    let type = try type(named: name)
    return try type.init(serializedBytes: bytes, limits: limits)
  }

  /// Decodes JSON as the named type.
  public func decode(_ name: String, json: Data, limits: DecodingLimits = .default) throws -> any WireMessage
  {
    let type = try type(named: name)
    return try type.init(jsonUTF8Data: json, limits: limits)
  }
}
