// The floating-point mode training runs in: subnormal numbers flushed to zero, on inputs and on
// results, as TensorFlow's CPU thread pool runs (ScopedFlushDenormal). It is part of the core's
// numerical semantics, and it keeps Intel cores from stalling on subnormal arithmetic.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs `body` with subnormals flushed to zero on the calling thread, then restores the thread's
/// previous mode. x86-64: MXCSR flush-to-zero (FTZ) and denormals-are-zero (DAZ); aarch64: FPCR.FZ.
/// Every training entry point of the core (`Trainer.run`, `Trainer.stateDump`) goes through it,
/// so each thread that trains sets the mode once, where it starts training.
public func withSubnormalsFlushed<R>(_ body: () throws -> R) rethrows -> R {
  #if (arch(x86_64) || arch(arm64)) && canImport(Glibc)
    var saved = fenv_t()
    guard fegetenv(&saved) == 0 else { fatalError("fegetenv failed") }
    var flushed = saved
    #if arch(x86_64)
      flushed.__mxcsr |= 0x8040  // FTZ (bit 15) | DAZ (bit 6)
    #else
      flushed.__fpcr |= 1 << 24  // FPCR.FZ
    #endif
    guard fesetenv(&flushed) == 0 else { fatalError("fesetenv failed") }
    defer { _ = fesetenv(&saved) }
    return try body()
  #else
    #error("the core needs a flush-to-zero mode for this platform (FloatingPointMode.swift)")
  #endif
}

/// Whether subnormals are flushed on the calling thread right now, read from the control
/// register (x86-64: MXCSR FTZ and DAZ both set; aarch64: FPCR.FZ). Arithmetic on constants
/// cannot tell: an optimised build folds it at compile time, where nothing is flushed. The tests
/// check the arithmetic itself.
public func subnormalsAreFlushed() -> Bool {
  #if (arch(x86_64) || arch(arm64)) && canImport(Glibc)
    var current = fenv_t()
    guard fegetenv(&current) == 0 else { return false }
    #if arch(x86_64)
      return current.__mxcsr & 0x8040 == 0x8040
    #else
      return current.__fpcr & (1 << 24) != 0
    #endif
  #else
    return false
  #endif
}

/// The value, hidden from constant folding so arithmetic on it runs at run time.
@inline(never) @_optimize(none)
func opaque(_ x: Float) -> Float { x }

/// The name of the floating-point mode training runs in, for manifests and messages.
public let trainingFloatingPointMode = "flush-to-zero"
