public import CProtobufC
public import Foundation

/// The protobuf-c allocator of one unpack: small allocations come from bump blocks (the first one on
/// the caller's stack), allocations of at least ``largeThreshold`` bytes from `malloc`, and nothing is
/// freed until the unpack's Swift values are built. Freeing is then one pass over the heap blocks,
/// instead of one `free` per field. Large allocations (byte fields such as image chunks) can be adopted
/// by a `Data` instead of copied: ``adopt(_:)`` removes them from the arena's list.
public struct UnpackArena {
  /// Allocations of at least this many bytes come from `malloc` and can be adopted.
  public static var largeThreshold: Int { 16 * 1024 }

  @usableFromInline var cursor: UnsafeMutableRawPointer?
  @usableFromInline var remaining: Int
  @usableFromInline var nextBlockSize = 16 * 1024
  /// Heap memory to free: bump blocks and large allocations (nil once adopted).
  @usableFromInline var heap: [UnsafeMutableRawPointer?] = []

  @inlinable init(initialBlock: UnsafeMutableRawBufferPointer) {
    cursor = initialBlock.baseAddress
    remaining = initialBlock.count
  }

  @usableFromInline mutating func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
    let size = max(size, 1)
    if size >= Self.largeThreshold {
      let memory = malloc(size)
      heap.append(memory)
      return memory
    }
    let aligned = (size + 15) & ~15
    if aligned > remaining {
      let block = malloc(nextBlockSize)
      heap.append(block)
      cursor = block
      remaining = block == nil ? 0 : nextBlockSize
      nextBlockSize = min(nextBlockSize * 2, 1 << 20)
      if block == nil { return nil }
    }
    let result = cursor!
    cursor = result + aligned
    remaining -= aligned
    return result
  }

  /// Takes a large allocation out of the arena so that it outlives it (the caller frees it with
  /// `free`). Returns false for memory the arena does not own alone.
  @usableFromInline mutating func adopt(_ pointer: UnsafeMutableRawPointer) -> Bool {
    guard let index = heap.lastIndex(where: { $0 == pointer }) else { return false }
    heap[index] = nil
    return true
  }

  @inlinable func releaseAll() {
    for memory in heap { free(memory) }
  }
}

/// Runs `body` with a protobuf-c allocator backed by an ``UnpackArena``, then frees what the arena
/// still owns.
@inlinable func withUnpackAllocator<R>(
  _ body: (UnsafeMutablePointer<ProtobufCAllocator>, UnsafeMutablePointer<UnpackArena>) throws -> R
) rethrows -> R {
  try withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 16) { stack in
    var arena = UnpackArena(initialBlock: stack)
    defer { arena.releaseAll() }
    return try withUnsafeMutablePointer(to: &arena) { arenaPointer in
      var allocator = ProtobufCAllocator(
        alloc: { data, size in data!.assumingMemoryBound(to: UnpackArena.self).pointee.allocate(size) },
        free: { _, _ in },
        allocator_data: UnsafeMutableRawPointer(arenaPointer))
      return try withUnsafeMutablePointer(to: &allocator) { try body($0, arenaPointer) }
    }
  }
}
