/// Names in C (as protoc-c 1.4.1 derives them) and in Swift (API Design Guidelines).
enum Naming {
  /// protoc-c's `FullNameToC`: each dotted piece in CamelCase, joined by `__`.
  static func cTypeName(_ fullName: String) -> String {
    fullName.split(separator: ".").map { piece -> String in
      var result = ""
      var nextUpper = true
      for char in piece {
        if char == "_" {
          nextUpper = true
        } else if nextUpper {
          result += char.uppercased()
          nextUpper = false
        } else {
          result.append(char)
        }
      }
      return result
    }.joined(separator: "__")
  }

  /// protoc-c's `FullNameToLower`: each dotted piece through `CamelToLower`, joined by `__`.
  static func cLowerName(_ fullName: String) -> String {
    fullName.split(separator: ".").map { piece -> String in
      var result = ""
      var wasUpper = true
      for char in piece {
        let isUpper = char.isUppercase
        if isUpper {
          if !wasUpper { result += "_" }
          result += char.lowercased()
        } else {
          result.append(char)
        }
        wasUpper = isUpper
      }
      return result
    }.joined(separator: "__")
  }

  /// Words written in capitals in Swift names, as the API Design Guidelines ask for acronyms.
  static let acronyms: Set<String> = ["id", "uid", "url", "jwt", "ppm"]

  /// `chain_id` -> `chainID`; Swift keywords are escaped with backticks.
  static func swiftProperty(_ snake: String) -> String {
    let words = snake.split(separator: "_").map(String.init)
    var result = ""
    for (index, word) in words.enumerated() {
      if index == 0 {
        result += word.lowercased()
      } else if acronyms.contains(word.lowercased()) {
        result += word.uppercased()
      } else {
        result += word.prefix(1).uppercased() + word.dropFirst().lowercased()
      }
    }
    return escapedIfKeyword(result)
  }

  /// `message_request` -> `MessageRequest`.
  static func upperCamel(_ snake: String) -> String {
    snake.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
  }

  /// `TransactionState` -> `TRANSACTION_STATE`.
  static func screamingSnake(_ camel: String) -> String {
    var result = ""
    var previous: Character?
    for char in camel {
      if char.isUppercase, let previous, previous.isLowercase || previous.isNumber { result += "_" }
      result += char.uppercased()
      previous = char
    }
    return result
  }

  /// `ROLE_PATIENT` of enum `Role` -> `patient`; `NOT_SERVING` -> `notServing`.
  static func enumCase(_ valueName: String, enumName: String) -> String {
    let prefix = screamingSnake(enumName) + "_"
    var stripped = valueName.hasPrefix(prefix) ? String(valueName.dropFirst(prefix.count)) : valueName
    if stripped.first?.isNumber == true { stripped = "_" + stripped }
    let words = stripped.lowercased().split(separator: "_").map(String.init)
    let camel = words.enumerated().map { $0 == 0 ? $1 : $1.prefix(1).uppercased() + $1.dropFirst() }.joined()
    return escapedIfKeyword(camel)
  }

  static func unescaped(_ name: String) -> String {
    name.hasPrefix("`") ? String(name.dropFirst().dropLast()) : name
  }

  static let swiftKeywords: Set<String> = [
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
    "inout",
    "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
    "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default",
    "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch",
    "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true",
    "try", "Type", "Protocol",
  ]

  static func escapedIfKeyword(_ name: String) -> String {
    swiftKeywords.contains(name) ? "`\(name)`" : name
  }

  static let cKeywords: Set<String> = [
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short",
    "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
  ]
}
