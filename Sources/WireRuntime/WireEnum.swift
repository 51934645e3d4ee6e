/// A protobuf enum of the wire. Generated enums keep values they do not know as
/// `.unrecognized(value)`, so decoding never fails on a newer peer's enum value and re-encoding
/// preserves it.
public protocol WireEnum: Sendable, Hashable {
  /// The fully qualified protobuf name, for example `sehc.v1.Role`.
  static var protoEnumName: String { get }
  /// The known values, in declaration order.
  static var knownCases: [Self] { get }
  /// The value with this number (`.unrecognized` if the number is not declared).
  init(rawValue: Int32)
  /// The value with this protobuf name (for example `ROLE_PATIENT`), or nil.
  init?(protoName: String)
  /// The number on the wire.
  var rawValue: Int32 { get }
  /// The protobuf name, or nil for an unrecognized value.
  var protoName: String? { get }
}
