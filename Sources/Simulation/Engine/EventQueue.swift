/// A priority queue of timed events: earliest time first, then insertion order, so that the simulation
/// is deterministic.
struct EventQueue<Event> {
  private var heap: [(time: UInt64, sequence: UInt64, event: Event)] = []
  private var sequence: UInt64 = 0

  var isEmpty: Bool { heap.isEmpty }
  var count: Int { heap.count }

  mutating func push(_ event: Event, at time: UInt64) {
    sequence += 1
    heap.append((time, sequence, event))
    var child = heap.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard before(child, parent) else { break }
      heap.swapAt(child, parent)
      child = parent
    }
  }

  mutating func pop() -> (time: UInt64, event: Event)? {
    guard !heap.isEmpty else { return nil }
    heap.swapAt(0, heap.count - 1)
    let top = heap.removeLast()
    var parent = 0
    while true {
      let left = 2 * parent + 1
      let right = left + 1
      var best = parent
      if left < heap.count && before(left, best) { best = left }
      if right < heap.count && before(right, best) { best = right }
      if best == parent { break }
      heap.swapAt(parent, best)
      parent = best
    }
    return (top.time, top.event)
  }

  var nextTime: UInt64? { heap.first?.time }

  private func before(_ a: Int, _ b: Int) -> Bool {
    heap[a].time != heap[b].time ? heap[a].time < heap[b].time : heap[a].sequence < heap[b].sequence
  }
}
