// Seeded pseudo-random streams for the core: SplitMix64 derives each stream's state from
// (seed, stream id) and xoshiro256** draws from it. No global state, no clock.

/// SplitMix64 (Steele, Lea, Flood 2014); used only to expand a 64-bit value into stream states.
struct SplitMix64 {
  var state: UInt64

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// The independent random streams of one run. Each is a pure function of (seed, stream id), so
/// e.g. the validation set does not depend on the batch size.
enum StreamID: UInt64 {
  case weights = 1
  case training = 2
  case validation = 3
}

/// xoshiro256** 1.0 (Blackman, Vigna 2018).
struct Xoshiro256StarStar {
  var s0: UInt64
  var s1: UInt64
  var s2: UInt64
  var s3: UInt64

  /// The stream `stream` of run `seed`: state = four SplitMix64 outputs started at
  /// `SplitMix64(seed).next() ^ (stream &* 0xD1B54A32D192ED69)`.
  init(seed: UInt64, stream: StreamID) {
    var mixer = SplitMix64(state: seed)
    let base = mixer.next()
    var expander = SplitMix64(state: base ^ (stream.rawValue &* 0xD1B5_4A32_D192_ED69))
    s0 = expander.next()
    s1 = expander.next()
    s2 = expander.next()
    s3 = expander.next()
  }

  @inline(__always)
  private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 &- k))
  }

  @inline(__always)
  mutating func next() -> UInt64 {
    let result = Self.rotl(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = Self.rotl(s3, 45)
    return result
  }

  /// A uniform Float in [0, 1) from the top 24 bits of the next output.
  @inline(__always)
  mutating func nextFloat() -> Float {
    Float(next() >> 40) * 0x1p-24
  }
}
