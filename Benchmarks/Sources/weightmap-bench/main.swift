// Times WeightMapper.compute (the paper's settings) on label images, on
// one thread, and prints one JSON line per file plus a summary line. With
// --volume each file is one volume (a TIFF z-stack or an NPY (D, H, W)).
//
// Usage: weightmap-bench [--reps N] [--volume] LABEL...
#if canImport(Glibc)
  import Glibc
#endif
import BenchSupport
import Foundation
import Raster
import WeightMap

var args = Array(CommandLine.arguments.dropFirst())
let reps = takeReps(&args, default: 5)
let volumes = args.contains("--volume")
args.removeAll { $0 == "--volume" }

let mapper = WeightMapper(.paper)
var medians: [Double] = []
var nsPerPixel: [Double] = []
for path in args {
  // The weights of one file: (pixels or voxels, size text, instances, compute).
  let (pixels, size, instances, compute): (Int, String, Int, () -> [Float])
  if volumes {
    let labels = try ImageFile.readVolume(path).labels(path: path)
    pixels = labels.voxelCount
    size = #""width": \#(labels.width), "height": \#(labels.height), "depth": \#(labels.depth)"#
    instances = AnyVolume(mapper.prepare(labels).instances).distinctNonZeroCount ?? 0
    compute = { mapper.compute(labels).weights.samples }
  } else {
    let labels = try ImageFile.read(path).labels(path: path)
    pixels = labels.pixelCount
    size = #""width": \#(labels.width), "height": \#(labels.height)"#
    instances = AnyImage(mapper.prepare(labels).instances).distinctNonZeroCount ?? 0
    compute = { mapper.compute(labels).weights.samples }
  }
  var times: [Double] = []
  var checksum = 0.0
  for _ in 0..<(reps + 1) {
    let t0 = now()
    let weights = compute()
    times.append(now() - t0)
    checksum = weights.reduce(0) { $0 + Double($1) }
  }
  times.removeFirst()  // warm-up
  let m = median(times)
  medians.append(m)
  nsPerPixel.append(m / Double(pixels) * 1e9)
  let name = (path as NSString).lastPathComponent
  print(
    #"{"impl": "unetkit-library", "file": "\#(name)", \#(size), "instances": \#(instances), "s": \#(m), "ns_per_pixel": \#(String(format: "%.2f", m / Double(pixels) * 1e9)), "checksum": \#(checksum)}"#
  )
  fflush(nil)
}
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
print(
  #"{"impl": "unetkit-library", "summary": true, "files": \#(medians.count), "median_s": \#(median(medians)), "median_ns_per_pixel": \#(String(format: "%.2f", median(nsPerPixel))), "peak_rss_mib": \#(usage.ru_maxrss / 1024)}"#
)
