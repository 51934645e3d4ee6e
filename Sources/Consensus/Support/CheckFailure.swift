/// Why a check refused something: a one-line reason for diagnostics.
public struct CheckFailure: Error, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringInterpolation {
  public let reason: String

  public init(_ reason: String) { self.reason = reason }
  public init(stringLiteral value: String) { reason = value }

  public var description: String { reason }
}
