import ChainCrypto

/// A `host:port` endpoint: an IPv4 address, a bracketed IPv6 address (`[::1]:7100`) or a DNS name,
/// then a port. Used for listeners in the node configuration and for the validator endpoints of the
/// genesis file.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
  /// The host: an IP address in canonical form, or a lowercased DNS name.
  public var host: String
  /// The TCP port.
  public var port: Int

  /// An endpoint from its parts, unchecked.
  public init(host: String, port: Int) {
    self.host = host
    self.port = port
  }

  /// Parses `host:port`. Port 0 (any free port) is allowed only for listeners (`allowPortZero`).
  /// Throws an ``EndpointError`` that says what is wrong.
  public init(parsing text: String, allowPortZero: Bool = false) throws(EndpointError) {
    let hostPart: Substring
    let portPart: Substring
    if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]") else {
        throw EndpointError("\"\(text)\" opens an IPv6 address with [ but never closes it with ]")
      }
      hostPart = text[text.index(after: text.startIndex)..<close]
      let rest = text[text.index(after: close)...]
      guard rest.hasPrefix(":") else {
        throw EndpointError("\"\(text)\" has no port after the IPv6 address; write [ADDRESS]:PORT")
      }
      portPart = rest.dropFirst()
    } else {
      guard let colon = text.lastIndex(of: ":") else {
        throw EndpointError("\"\(text)\" has no port; write HOST:PORT, for example 127.0.0.1:7100")
      }
      hostPart = text[..<colon]
      portPart = text[text.index(after: colon)...]
      if hostPart.contains(":") {
        throw EndpointError("\"\(text)\": write an IPv6 address in brackets, as [ADDRESS]:PORT")
      }
    }
    guard !hostPart.isEmpty else {
      throw EndpointError("\"\(text)\" has no host; write HOST:PORT, for example 0.0.0.0:7100")
    }
    let lowest = allowPortZero ? 0 : 1
    guard portPart.allSatisfy(\.isASCII), let port = Int(portPart), (lowest...65535).contains(port) else {
      throw EndpointError("\"\(text)\" has port \"\(portPart)\"; a port is a number from \(lowest) to 65535")
    }
    let host: HostName
    do {
      host = try HostName(String(hostPart))
    } catch {
      throw EndpointError("\"\(text)\": \(error)")
    }
    if case .dns(let name) = host, name.hasPrefix("*") {
      throw EndpointError("\"\(text)\": a wildcard is not a host to connect to or listen on")
    }
    self.host = host.description
    self.port = port
  }

  /// `host:port`, with brackets around an IPv6 address.
  public var description: String {
    host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
  }
}

/// Why a `host:port` text is not an endpoint.
public struct EndpointError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The reason, quoting the text.
  public var description: String

  init(_ description: String) {
    self.description = description
  }
}
