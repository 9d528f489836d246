/// The paper's energy: a pixel-wise softmax over the K logits and the
/// cross-entropy weighted by the weight map,
/// E = (1/P) Σ_x w(x) · (−log p_{l(x)}(x)), P the number of pixels in the
/// batch. (The paper sums over x; dividing by P makes the learning rate
/// independent of the tile size and matches PyTorch's
/// `(cross_entropy(..., reduction="none") * w).mean()`.)
public enum WeightedCrossEntropy {
  /// The loss and its gradient with respect to the logits.
  /// - Parameters:
  ///   - logits: N×K×H×W, plain.
  ///   - labels: N×H×W class indices in 0..<K.
  ///   - weights: N×H×W pixel weights (0 ignores a pixel).
  ///   - batch: N.
  /// - Returns: the loss and dE/dz, N×K×H×W: w·(softmax − onehot)/P.
  public static func evaluate(
    logits: [Float], labels: [Int32], weights: [Float], classes: Int, batch: Int
  ) -> (loss: Double, gradient: [Float]) {
    precondition(logits.count == labels.count * classes && weights.count == labels.count, "loss: mismatched sizes")
    let total = labels.count
    guard total > 0 else { return (0, []) }
    // Images are K planes of `plane` pixels each.
    let plane = total / batch
    var gradient = [Float](repeating: 0, count: logits.count)
    var loss = 0.0
    let scale = 1 / Double(total)
    var logit = [Double](repeating: 0, count: classes)
    for n in 0..<batch {
      let base = n * classes * plane
      for p in 0..<plane {
        let pixel = n * plane + p
        var top = -Double.infinity
        for k in 0..<classes {
          logit[k] = Double(logits[base + k * plane + p])
          top = max(top, logit[k])
        }
        var sum = 0.0
        for k in 0..<classes { sum += exp(logit[k] - top) }
        let logSum = top + log(sum)
        let label = Int(labels[pixel])
        precondition(label >= 0 && label < classes, "loss: label \(label) outside 0..<\(classes)")
        let w = Double(weights[pixel])
        loss += w * (logSum - logit[label])
        for k in 0..<classes {
          let probability = exp(logit[k] - logSum)
          gradient[base + k * plane + p] = Float(w * scale * (probability - (k == label ? 1 : 0)))
        }
      }
    }
    return (loss * scale, gradient)
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
