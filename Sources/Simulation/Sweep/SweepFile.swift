import TOMLKit

/// A sweep file of `sehc simulate --sweep FILE.toml`: top-level keys named like the flags (without
/// the dashes), each with the value the flag would take. A list is written as a TOML array, e.g.
///
/// ```toml
/// nodes = [64, 256]
/// shards = 4
/// malicious = [0.0, 0.1, 0.2, 0.3]
/// adversary = ["wrong-votes", "equivocate"]
/// duration = 30
/// ```
///
/// Arrays become comma-separated values, numbers their decimal text, and `true`/`false` turn a switch
/// on or off, so that the file and the command line share one parser (``SimulateArguments``).
enum SweepFile {
  /// The (key, value) pairs of `text`, in the file's key order.
  static func entries(_ text: String, file: String) throws -> [(key: String, value: String)] {
    let table: TOMLTable
    do {
      table = try TOMLTable(string: text)
    } catch let error as TOMLParseError {
      throw SimulateUsageError(
        "\(file):\(error.source.begin.line):\(error.source.begin.column): not valid TOML: \(error.description)"
      )
    } catch {
      throw SimulateUsageError("\(file): not valid TOML: \(error)")
    }
    var entries: [(String, String)] = []
    for key in table.keys {
      guard let value = table[key] else { continue }
      if let array = value.array {
        var items: [String] = []
        for item in array {
          guard let text = scalar(item) else {
            throw SimulateUsageError(
              "\(file): \(key): a list may hold only numbers and strings, e.g. \(key) = [1, 2]")
          }
          items.append(text)
        }
        entries.append((key, items.joined(separator: ",")))
      } else if let text = scalar(value) ?? value.bool.map({ $0 ? "true" : "false" }) {
        entries.append((key, text))
      } else {
        throw SimulateUsageError(
          "\(file): \(key): must be a number, a string, true/false or a list, not a table or a date")
      }
    }
    return entries
  }

  private static func scalar(_ value: any TOMLValueConvertible) -> String? {
    if let int = value.int { return String(int) }
    if let double = value.double { return "\(double)" }
    return value.string
  }
}
