// Plain stochastic gradient descent.

/// w −= lr·g over `count` parameters.
func sgdUpdate(
  params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, count: Int,
  learningRate: Float
) {
  for i in 0..<count {
    params[i] -= learningRate * grads[i]
  }
}
