// Adam as TensorFlow/Keras applies it, in Float; the bias-corrected step size lr_t is computed
// in Double and rounded to Float once per step.

/// Integer power by repeated squaring; deterministic without libm.
func power(_ base: Double, _ exponent: Int) -> Double {
  var result = 1.0
  var b = base
  var e = exponent
  while e > 0 {
    if e & 1 == 1 { result *= b }
    b *= b
    e >>= 1
  }
  return result
}

/// lr_t = lr·√(1−β2^t)/(1−β1^t) for step t (1-based), rounded to Float.
func adamStepSize(learningRate: Double, beta1: Double, beta2: Double, t: Int) -> Float {
  Float(learningRate * (1 - power(beta2, t)).squareRoot() / (1 - power(beta1, t)))
}

/// One Adam update of `count` parameters (P): m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
/// w −= lr_t·m/(√v + ε̂).
func adamUpdate(
  params: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
  v: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, count: Int, stepSize: Float,
  beta1: Float, beta2: Float, epsilon: Float
) {
  let oneMinusBeta1 = 1 - beta1
  let oneMinusBeta2 = 1 - beta2
  for i in 0..<count {
    let g = grads[i]
    m[i] = beta1 * m[i] + oneMinusBeta1 * g
    v[i] = beta2 * v[i] + oneMinusBeta2 * (g * g)
    params[i] -= stepSize * m[i] / (v[i].squareRoot() + epsilon)
  }
}
