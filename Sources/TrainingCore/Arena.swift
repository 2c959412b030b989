// One preallocated block of Floats per buffer set; slices are handed out once at setup so no
// step allocates.

/// A zero-initialised block of Floats that lives as long as its owner and hands out slices.
final class FloatArena {
  private(set) var base: UnsafeMutablePointer<Float>
  let capacity: Int
  private var used = 0

  init(capacity: Int) {
    self.capacity = max(capacity, 1)
    base = UnsafeMutablePointer<Float>.allocate(capacity: self.capacity)
    base.initialize(repeating: 0, count: self.capacity)
  }

  deinit { base.deallocate() }

  /// The next `count` Floats of the arena.
  func take(_ count: Int) -> UnsafeMutablePointer<Float> {
    precondition(used + count <= capacity, "arena overflow")
    let slice = base + used
    used += count
    return slice
  }

  /// The next `count` Floats with 16 Floats of slack on either side, for the wide kernels, which
  /// read (and discard) values just past the ends of a buffer.
  func takeWithSlack(_ count: Int) -> UnsafeMutablePointer<Float> {
    take(count + 32) + 16
  }
}

/// Sets `count` Floats at `p` to zero.
@inline(__always)
func zero(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
  p.update(repeating: 0, count: count)
}
