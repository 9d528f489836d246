// Times WeightMapper.compute (the paper's parameters) on label images, on
// one thread, and prints one JSON line per file plus a summary line.
//
// Usage: weightmap-bench [--reps N] LABEL...
#if canImport(Glibc)
  import Glibc
#endif
import BenchSupport
import Foundation
import Raster
import WeightMap

var args = Array(CommandLine.arguments.dropFirst())
let reps = takeReps(&args, default: 5)

let mapper = WeightMapper(.paper)
var medians: [Double] = []
var nsPerPixel: [Double] = []
for path in args {
  let labels = try ImageFile.read(path).labels(path: path)
  let instances = AnyImage(mapper.prepare(labels).instances).distinctNonZeroCount ?? 0
  var times: [Double] = []
  var checksum = 0.0
  for _ in 0..<(reps + 1) {
    let t0 = now()
    let result = mapper.compute(labels)
    times.append(now() - t0)
    checksum = result.weights.samples.reduce(0) { $0 + Double($1) }
  }
  times.removeFirst()  // warm-up
  let m = median(times)
  medians.append(m)
  nsPerPixel.append(m / Double(labels.pixelCount) * 1e9)
  let name = (path as NSString).lastPathComponent
  print(
    #"{"impl": "unetkit-library", "file": "\#(name)", "width": \#(labels.width), "height": \#(labels.height), "instances": \#(instances), "s": \#(m), "ns_per_pixel": \#(String(format: "%.2f", m / Double(labels.pixelCount) * 1e9)), "checksum": \#(checksum)}"#
  )
  fflush(nil)
}
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
print(
  #"{"impl": "unetkit-library", "summary": true, "files": \#(medians.count), "median_s": \#(median(medians)), "median_ns_per_pixel": \#(String(format: "%.2f", median(nsPerPixel))), "peak_rss_mib": \#(usage.ru_maxrss / 1024)}"#
)
