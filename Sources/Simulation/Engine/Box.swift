/// A mutable value shared with an escaping closure that runs synchronously (the simulator is
/// single-threaded): what the closure gathers is read right after the call that ran it.
final class Box<Value> {
  var value: Value

  init(_ value: Value) { self.value = value }
}
