// Times one augmented 512x512 sample on one thread: geometry + resampling
// of image (cubic) and labels (nearest), and the whole sample (elastic +
// affine + gray values) with the weight map warped or recomputed. Prints
// one JSON line per measurement: the median over --reps draws.
//
// With --volume IMAGE and LABELS are volumes (TIFF z-stacks or NPY
// (D, H, W)) and the tasks are their 3-D counterparts: geometry (3 x 3 x 3
// grid, rotation about z, flips) + tricubic image + nearest labels, and the
// whole sample.
//
// Usage: augment-bench [--reps N] [--volume] IMAGE LABELS
#if canImport(Glibc)
  import Glibc
#endif
import Augment
import BenchSupport
import Foundation
import Raster
import WeightMap

var args = Array(CommandLine.arguments.dropFirst())
let reps = takeReps(&args, default: 50)
let volumes = args.contains("--volume")
args.removeAll { $0 == "--volume" }
guard args.count == 2 else {
  FileHandle.standardError.write(Data("usage: augment-bench [--reps N] [--volume] IMAGE LABELS\n".utf8))
  exit(2)
}

/// Median seconds of `body` over `reps` draws of `draw` (draw k uses index k), after one warm-up.
@MainActor func time<P>(_ name: String, _ draw: (UInt64) -> P, _ body: (P) -> Int) {
  var sink = body(draw(0))
  var times: [Double] = []
  for k in 0..<reps {
    let p = draw(UInt64(k))
    let t0 = now()
    sink &+= body(p)
    times.append(now() - t0)
  }
  print(#"{"impl": "unetkit", "task": "\#(name)", "s": \#(median(times)), "reps": \#(reps), "sink": \#(sink % 7)}"#)
  fflush(nil)
}

if volumes {
  let configuration = VolumeAugmentConfiguration.standard
  let image = configuration.base.normalization.apply(to: try ImageFile.readVolume(args[0]))
  let labels = InstanceLabels.normalize(try ImageFile.readVolume(args[1]).labels(path: args[1]))
  let mapper = WeightMapper(.paper)
  let prepared = mapper.prepare(labels)
  let classWeights = prepared.counts.balancedWeights()
  let source = mapper.weights(for: prepared, classWeights: classWeights)
  let draw = { (k: UInt64) in configuration.draw(seed: 1, index: k, sourceCount: 1).values }
  let resampler = Resampler(border: configuration.base.border)
  time("3-D geometry+resample image(cubic)+labels(nearest)", draw) { p in
    let map = VolumeSamplingMap(values: p, width: image.width, height: image.height, depth: image.depth)
    let i = resampler.resample(image, along: map, interpolation: .cubic)
    let l = resampler.nearest(labels, along: map)
    return Int(l.samples[0]) &+ Int(i.samples[0].bitPattern & 1)
  }
  time("3-D sampling map", draw) { p in
    Int(VolumeSamplingMap(values: p, width: image.width, height: image.height, depth: image.depth).x[0].bitPattern & 1)
  }
  let maps = { (k: UInt64) in VolumeSamplingMap(values: draw(k), width: image.width, height: image.height, depth: image.depth) }
  time("3-D cubic image along a drawn map", maps) { map in
    Int(resampler.resample(image, along: map, interpolation: .cubic).samples[0].bitPattern & 1)
  }
  let identity = VolumeSamplingMap.identity(width: image.width, height: image.height, depth: image.depth)
  time("3-D cubic image along the identity map", { _ in identity }) { map in
    Int(resampler.resample(image, along: map, interpolation: .cubic).samples[0].bitPattern & 1)
  }
  time("3-D nearest labels along a drawn map", maps) { map in
    Int(resampler.nearest(labels, along: map).samples[0])
  }
  for weights in [WeightSource.warp, .recompute] {
    let augmenter = SampleAugmenter(
      configuration: try AugmentConfiguration(weights: weights), weightMapper: mapper, classWeights: classWeights)
    time("3-D whole sample, weights \(weights.rawValue)", draw) { p in
      let s = augmenter.augment(
        volume: image, labels: labels, weights: source.weights, mask: source.mask, values: p)
      return Int(s.labels.samples[0]) &+ Int(s.mask.samples[1])
    }
  }
  exit(0)
}

let configuration = AugmentConfiguration.standard
let image = configuration.normalization.apply(to: try ImageFile.read(args[0]))
let labels = InstanceLabels.normalize(try ImageFile.read(args[1]).labels(path: args[1]))
let mapper = WeightMapper(.paper)
let prepared = mapper.prepare(labels)
let classWeights = prepared.counts.balancedWeights()
let source = mapper.weights(for: prepared, classWeights: classWeights)

/// The 2-D draws of the default configuration.
@MainActor func time(_ name: String, _ body: (DrawnValues) -> Int) {
  time(name, { configuration.draw(seed: 1, index: $0, sourceCount: 1).values }, body)
}

let resampler = Resampler(border: configuration.border)
time("geometry+resample image(cubic)+labels(nearest)") { p in
  let r = resampler.resample(image, interpolation: .cubic, labels: labels, values: p)
  return Int(r.labels.samples[0]) &+ Int(r.image.samples[0].bitPattern & 1)
}
let identity = SamplingMap.identity(width: image.width, height: image.height)
time("sampling map") { p in
  let map = SamplingMap(values: p, width: image.width, height: image.height)
  return Int(map.x[0].bitPattern & 1)
}
time("cubic image along a map") { p in
  let i = resampler.resample(image, along: identity, interpolation: .cubic)
  return Int(i.samples[0].bitPattern & 1)
}
time("nearest labels along a map") { p in
  let l = resampler.nearest(labels, along: identity)
  return Int(l.samples[0])
}
for weights in [WeightSource.warp, .recompute] {
  let augmenter = SampleAugmenter(
    configuration: try AugmentConfiguration(weights: weights), weightMapper: mapper, classWeights: classWeights)
  time("whole sample, weights \(weights.rawValue)") { p in
    let s = augmenter.augment(
      image: image, labels: labels, weights: source.weights, mask: source.mask, values: p)
    return Int(s.labels.samples[0]) &+ Int(s.mask.samples[1])
  }
}
