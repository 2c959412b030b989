// One preallocated block of Floats per buffer set; slices are handed out once at setup so no
// step allocates.

/// A zero-initialised block of Floats that lives as long as its owner and hands out slices, each
/// starting on a 64-byte boundary (a cache line, and one 512-bit vector), so the wide kernels'
/// aligned loads and stores never split a line.
final class FloatArena {
  /// Floats per 64 bytes.
  static let alignment = 16
  private let raw: UnsafeMutableRawPointer
  private(set) var base: UnsafeMutablePointer<Float>
  let capacity: Int
  private var used = 0

  /// Room for `capacity` Floats in at most `slices` slices (each may take up to 15 Floats of
  /// padding to stay aligned).
  init(capacity: Int, slices: Int) {
    self.capacity = max(capacity, 1) + FloatArena.alignment * slices
    raw = UnsafeMutableRawPointer.allocate(
      byteCount: self.capacity * MemoryLayout<Float>.stride, alignment: 64)
    base = raw.bindMemory(to: Float.self, capacity: self.capacity)
    base.initialize(repeating: 0, count: self.capacity)
  }

  deinit { raw.deallocate() }

  /// The next `count` Floats of the arena, from a 64-byte boundary.
  func take(_ count: Int) -> UnsafeMutablePointer<Float> {
    let start = (used + FloatArena.alignment - 1) / FloatArena.alignment * FloatArena.alignment
    precondition(start + count <= capacity, "arena overflow")
    used = start + count
    return base + start
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
