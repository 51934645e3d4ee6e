/// A priority queue of timed events: earliest time first, then insertion order, so that the simulation
/// is deterministic.
///
/// The binary heap holds only the ordering keys and the events wait in a slot array: sifting compares and
/// swaps two integers instead of copying events with their messages (which dominated debug-build runs).
struct EventQueue<Event> {
  private struct Key {
    let time: UInt64
    let sequence: UInt64
    let slot: Int

    func isBefore(_ other: Key) -> Bool { time != other.time ? time < other.time : sequence < other.sequence }
  }

  private var heap: [Key] = []
  private var slots: [Event?] = []
  private var freeSlots: [Int] = []
  private var sequence: UInt64 = 0

  var isEmpty: Bool { heap.isEmpty }
  var count: Int { heap.count }

  mutating func push(_ event: Event, at time: UInt64) {
    sequence += 1
    let slot: Int
    if let free = freeSlots.popLast() {
      slot = free
      slots[slot] = event
    } else {
      slot = slots.count
      slots.append(event)
    }
    heap.append(Key(time: time, sequence: sequence, slot: slot))
    var child = heap.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard heap[child].isBefore(heap[parent]) else { break }
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
      if left < heap.count && heap[left].isBefore(heap[best]) { best = left }
      if right < heap.count && heap[right].isBefore(heap[best]) { best = right }
      if best == parent { break }
      heap.swapAt(parent, best)
      parent = best
    }
    let event = slots[top.slot].take()!
    freeSlots.append(top.slot)
    return (top.time, event)
  }

  var nextTime: UInt64? { heap.first?.time }
}
