public import Foundation

/// Reads field values from parsed JSON as Python's `json_format.Parse` accepts them; used by
/// generated code. Integers come as numbers or strings, bytes as standard or URL-safe base64 with or
/// without padding, enums as names or numbers; `null` leaves a field at its default.
public struct JSONMessageDecoder {
  public init() {}

  private func invalid(_ field: StaticString, _ detail: String) -> WireError {
    WireError(.invalidValue, messageType: "", fieldPath: ["\(field)"], detail: detail)
  }

  public func unknownField(_ key: String) -> WireError {
    WireError(.unknownField, messageType: "", detail: "no field named \"\(key)\"")
  }

  /// Records that field `number` was set; fails if it was set already (for example under both its JSON
  /// name and its proto name), or if another member of its oneof was.
  public func markSeen(_ seen: inout Set<Int>, _ number: Int, field: StaticString, oneof: [Int] = []) throws {
    guard seen.insert(number).inserted else {
      throw WireError(
        .duplicateField, messageType: "", fieldPath: ["\(field)"], detail: "field given more than once")
    }
    if oneof.contains(where: { $0 != number && seen.contains($0) }) {
      throw WireError(
        .duplicateField, messageType: "", fieldPath: ["\(field)"],
        detail: "another member of its oneof is set too")
    }
  }

  public func integer<T: FixedWidthInteger>(_ value: JSONValue, _ type: T.Type, field: StaticString) throws
    -> T
  {
    switch value {
    case .number(let text):
      if let exact = T(text) { return exact }
      if text.allSatisfy({ $0 == "-" || $0.isNumber }) {
        throw invalid(field, "\(text) is out of range for \(T.self)")
      }
      guard let double = Double(text), double.rounded() == double, let exact = T(exactly: double) else {
        throw invalid(field, "\(text) is not an integer in range for \(T.self)")
      }
      return exact
    case .string(let text):
      guard let exact = T(text) else {
        throw invalid(field, "\"\(text)\" is not an integer in range for \(T.self)")
      }
      return exact
    default:
      throw invalid(field, "expected an integer, got \(value.kindName)")
    }
  }

  public func bool(_ value: JSONValue, field: StaticString) throws -> Bool {
    guard case .bool(let flag) = value else {
      throw invalid(field, "expected true or false, got \(value.kindName)")
    }
    return flag
  }

  public func string(_ value: JSONValue, field: StaticString) throws -> String {
    guard case .string(let text) = value else {
      throw invalid(field, "expected a string, got \(value.kindName)")
    }
    return text
  }

  public func bytes(_ value: JSONValue, field: StaticString) throws -> Data {
    guard case .string(let text) = value else {
      throw invalid(field, "expected a base64 string, got \(value.kindName)")
    }
    guard let data = Base64.decode(text) else { throw invalid(field, "\"\(text)\" is not valid base64") }
    return data
  }

  public func enumValue<E: WireEnum>(_ value: JSONValue, _ type: E.Type, field: StaticString) throws -> E {
    switch value {
    case .string(let name):
      guard let known = E(protoName: name) else {
        throw invalid(field, "\"\(name)\" is not a value of \(E.protoEnumName)")
      }
      return known
    case .number:
      return E(rawValue: try integer(value, Int32.self, field: field))
    default:
      throw invalid(field, "expected an enum name or number, got \(value.kindName)")
    }
  }

  public func message<M: WireMessage>(_ value: JSONValue, _ type: M.Type, field: StaticString) throws -> M {
    guard case .object(let object) = value else {
      throw invalid(field, "expected an object, got \(value.kindName)")
    }
    var decoder = self
    do {
      return try M(_json: object, decoder: &decoder)
    } catch let error as WireError {
      throw error.nested(in: "\(field)", of: "")
    }
  }

  /// The elements of a repeated field (`null` is empty), each read by `element` with its index in the
  /// error path.
  public func array<T>(
    _ value: JSONValue, field: StaticString, _ element: (JSONValue, StaticString) throws -> T
  ) throws -> [T] {
    switch value {
    case .null: return []
    case .array(let elements):
      return try elements.enumerated().map { index, item in
        do {
          return try element(item, field)
        } catch var error as WireError {
          if error.fieldPath.first == "\(field)" { error.fieldPath[0] = "\(field)[\(index)]" }
          throw error
        }
      }
    default:
      throw invalid(field, "expected an array, got \(value.kindName)")
    }
  }
}

extension WireMessage {
  /// Decodes a message from proto3 JSON (as Python's `json_format.Parse` accepts it, with unknown
  /// fields rejected).
  public init(jsonString: String, limits: DecodingLimits = .default) throws {
    try self.init(jsonUTF8Data: Data(jsonString.utf8), limits: limits)
  }

  /// Decodes a message from proto3 JSON given as UTF-8 bytes.
  public init(jsonUTF8Data data: Data, limits: DecodingLimits = .default) throws {
    guard data.count <= limits.maxBytes else {
      throw WireError(
        .tooLarge, messageType: Self.protoMessageName,
        detail: "\(data.count) bytes exceed the limit of \(limits.maxBytes)")
    }
    let value: JSONValue
    do {
      value = try JSONParser.parse(Array(data), maxDepth: limits.maxDepth * 2 + 4)
    } catch let error as WireError {
      throw error.inMessage(Self.protoMessageName)
    }
    guard case .object(let object) = value else {
      throw WireError(
        .invalidValue, messageType: Self.protoMessageName,
        detail: "expected a JSON object, got \(value.kindName)")
    }
    var decoder = JSONMessageDecoder()
    do {
      self = try Self(_json: object, decoder: &decoder)
    } catch let error as WireError {
      throw error.inMessage(Self.protoMessageName)
    }
  }
}
