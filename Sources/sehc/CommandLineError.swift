/// An error in how a command was called, printed as one line ("Error: ...") without the usage text
/// that ArgumentParser adds to `ValidationError`s.
struct CommandLineError: Error, CustomStringConvertible {
  var description: String

  init(_ description: String) {
    self.description = description
  }
}
