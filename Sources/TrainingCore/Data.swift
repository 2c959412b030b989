// The toy segmentation data: images of uniform noise, a pixel is foreground when it exceeds θ.

/// Draws `pixels` uniform values in [0,1) into `images` (count,H,W,1) in NHWC order and writes the
/// one-hot labels (count,H,W,2): class 1 (foreground) when `x > theta`, else class 0.
func drawImages(
  images: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<Float>, pixels: Int,
  theta: Float, rng: inout Xoshiro256StarStar
) {
  for i in 0..<pixels {
    let x = rng.nextFloat()
    images[i] = x
    let foreground: Float = x > theta ? 1 : 0
    labels[2 * i] = 1 - foreground
    labels[2 * i + 1] = foreground
  }
}
