// Times full U-Net training steps on the oneDNN backend: forward, the
// weighted cross-entropy, backward and the SGD update, at batch 1 on random
// data (as ../shared/bench/torch_unet_ref.py does). Prints one JSON line.
//
//   train-bench [--size 572] [--base 64] [--depth 4] [--steps 5] [--warm 2] [--batch 1] [--threads N]
import BenchSupport
import Foundation
import Raster
import UNet

let args = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: Int) -> Int {
  guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
  return v
}
let size = option("--size", 572)
let base = option("--base", 64)
let depth = option("--depth", 4)
let steps = option("--steps", 5)
let warm = option("--warm", 2)
let batch = option("--batch", 1)
let threads = option("--threads", 0)

let architecture = Architecture(inputChannels: 1, classes: 2, baseChannels: base, depth: depth, dropout: 0.5)
let output = try architecture.validateTile(size)
let backend = DNNLBackend(threads: threads > 0 ? threads : nil)
let t0 = now()
let network = try backend.compile(architecture.graph, batch: batch, inputSize: size, training: true)
network.setParameters(architecture.initialParameters(seed: 0))
let setup = now() - t0

var rng = SplitMix64(seed: 1)
let input = (0..<batch * size * size).map { _ in Float(rng.gaussian()) }
let labels = (0..<batch * output * output).map { _ in Int32(rng.next() & 1) }
let weights = (0..<batch * output * output).map { _ in Float(0.5 + rng.unit()) }

var times: [Double] = []
var phases: [[Double]] = []
for step in 0..<(warm + steps) {
  let a = now()
  let logits = try network.forward(input, dropoutSeed: UInt64(step))
  let b = now()
  let (_, gradient) = WeightedCrossEntropy.evaluate(logits: logits, labels: labels, weights: weights, classes: 2, batch: batch)
  let c = now()
  try network.backward(gradient)
  let d = now()
  try network.update(.paper, learningRate: 0.01, step: step + 1)
  let e = now()
  if step >= warm {
    times.append(e - a)
    phases.append([b - a, c - b, d - c, e - d])
  }
}

/// FLOPs of one forward pass: 2·MACs of every convolution and up-convolution.
func forwardFLOPs() -> Double {
  let shapes = architecture.graph.shapes(inputSize: size)!
  var total = 0.0
  for (i, op) in architecture.graph.operations.enumerated() {
    let out = shapes[i + 1]
    switch op {
    case .convolution(let input, _, _, let k, _):
      total += 2 * Double(out.channels * out.size * out.size * shapes[input].channels * k * k)
    case .upConvolution(let input, _, _):
      let inp = shapes[input]
      total += 2 * Double(inp.channels * inp.size * inp.size * out.channels * 4)
    default: break
    }
  }
  return total * Double(batch)
}

var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let flops = 3 * forwardFLOPs()
let med = median(times)
let phaseMedians = (0..<4).map { k in median(phases.map { $0[k] }) }
print(
  String(
    format:
      "{\"peer\": \"unetkit-onednn\", \"size\": %d, \"out\": %d, \"base\": %d, \"depth\": %d, \"batch\": %d, \"threads\": %d, \"step_s\": %.3f, \"min_s\": %.3f, \"gflop_per_step\": %.1f, \"gflops\": %.1f, \"forward_s\": %.3f, \"loss_s\": %.3f, \"backward_s\": %.3f, \"sgd_s\": %.3f, \"setup_s\": %.2f, \"peak_rss_mib\": %.0f}",
    size, output, base, depth, batch, backend.threads, med, times.min()!, flops / 1e9, flops / med / 1e9,
    phaseMedians[0], phaseMedians[1], phaseMedians[2], phaseMedians[3], setup, Double(usage.ru_maxrss) / 1024))
