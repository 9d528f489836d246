import Foundation
import Raster
import Testing
import WeightMap
import _TestSupport

@Suite struct WeightsCommandTests {
  let dir = makeTemporaryDirectory()
  var mask2d: String { datasetsRoot + "/dsb2018-sample/mask2d.tif" }

  func synthLabels(count: Int = 2, size: String = "96x80", seed: Int = 5) throws -> String {
    let r = try unet(["synth", "--out", dir + "/synth", "--count", String(count), "--size", size, "--seed", String(seed)])
    #expect(r.status == 0, "\(r.stderr)")
    return dir + "/synth/labels"
  }

  @Test func matchesTheLibraryOnOneImage() throws {
    let r = try unet(["weights", mask2d, "--out", dir + "/w"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("weights: 1 file, 262144 pixels, "))
    let labels = try ImageFile.read(mask2d).labels(path: mask2d)
    let expected = WeightMapper(.paper).compute(labels)
    #expect(try ImageFile.read(dir + "/w/mask2d.weight.tiff") == AnyImage(expected.weights))
    #expect(try ImageFile.read(dir + "/w/mask2d.mask.png") == AnyImage(expected.mask))
    #expect(!FileManager.default.fileExists(atPath: dir + "/w/mask2d.preview.png"))
  }

  @Test func optionsReachTheLibrary() throws {
    let labelsDir = try synthLabels(count: 1)
    let file = labelsDir + "/cells_000.png"
    let r = try unet([
      "weights", file, "--out", dir + "/w", "--w0", "5", "--sigma", "3", "--class-weights", "0.5,2",
      "--border-on", "all", "--no-separation", "--format", "npy", "--preview",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let params = try WeightMapConfiguration(
      w0: 5, sigmaPixels: 3, classWeights: .explicit(background: 0.5, foreground: 2), borderOn: .all, separation: false)
    let expected = WeightMapper(params).compute(try ImageFile.read(file).labels(path: file))
    #expect(try ImageFile.read(dir + "/w/cells_000.weight.npy") == AnyImage(expected.weights))
    let preview = try ImageFile.read(dir + "/w/cells_000.preview.png")
    #expect(preview.channels == 3 && preview.width == 96 && preview.height == 80)
  }

  /// --weight-sigma (the name `unet augment` uses) and --sigma, its
  /// earlier name here, set the same σ; giving both is refused.
  @Test func weightSigmaAndItsEarlierName() throws {
    let file = try synthLabels(count: 1) + "/cells_000.png"
    #expect(try unet(["weights", file, "--out", dir + "/a", "--weight-sigma", "3"]).status == 0)
    #expect(try unet(["weights", file, "--out", dir + "/b", "--sigma", "3"]).status == 0)
    #expect(try unet(["weights", file, "--out", dir + "/c"]).status == 0)
    #expect(read(dir + "/a/cells_000.weight.tiff") == read(dir + "/b/cells_000.weight.tiff"))
    #expect(read(dir + "/a/cells_000.weight.tiff") != read(dir + "/c/cells_000.weight.tiff"))
    let both = try unet(["weights", file, "--out", dir + "/d", "--weight-sigma", "3", "--sigma", "3"])
    #expect(both.status != 0 && both.stderr.contains("--sigma is another name of --weight-sigma"), "\(both.stderr)")
  }

  @Test func datasetScopeBalancesOverAllInputs() throws {
    let labelsDir = try synthLabels(count: 2)
    let files = [labelsDir + "/cells_000.png", labelsDir + "/cells_001.png"]
    let r = try unet(["weights", labelsDir, "--out", dir + "/w", "--w0", "0"])
    #expect(r.status == 0, "\(r.stderr)")
    let mapper = WeightMapper(try WeightMapConfiguration(w0: 0))
    let prepared = try files.map { mapper.prepare(try ImageFile.read($0).labels(path: $0)) }
    let total = prepared[0].counts + prepared[1].counts
    let wc = total.balancedWeights()
    #expect(abs(wc.background * Double(total.background) - wc.foreground * Double(total.foreground)) < 1e-6 * Double(total.total))
    for (i, name) in ["cells_000", "cells_001"].enumerated() {
      let expected = mapper.weights(for: prepared[i], classWeights: wc)
      #expect(try ImageFile.read(dir + "/w/\(name).weight.tiff") == AnyImage(expected.weights))
    }
    // Per-image scope differs from dataset scope.
    let r2 = try unet(["weights", labelsDir, "--out", dir + "/wi", "--w0", "0", "--class-weights-scope", "image"])
    #expect(r2.status == 0)
    let perImage = mapper.weights(for: prepared[0], classWeights: prepared[0].counts.balancedWeights())
    #expect(try ImageFile.read(dir + "/wi/cells_000.weight.tiff") == AnyImage(perImage.weights))
    #expect(perImage.classWeights != wc)
  }

  @Test func resultsDoNotDependOnJobs() throws {
    let labelsDir = try synthLabels(count: 4)
    for jobs in ["1", "3"] {
      let r = try unet(["weights", labelsDir + "/*.png", "--out", dir + "/j" + jobs, "--jobs", jobs])
      #expect(r.status == 0, "\(r.stderr)")
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/j1").sorted()
    #expect(names.count == 8)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/j3").sorted() == names)
    for name in names { #expect(read(dir + "/j1/" + name) == read(dir + "/j3/" + name)) }
  }

  /// Runs `unet weights ARGS --out OUT`, expects a failure whose stderr
  /// mentions `words`, and that OUT holds nothing afterwards.
  func expectFailure(_ args: [String], mentioning words: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let out = dir + "/bad-out"
    let r = try unet(["weights"] + args + ["--out", out])
    #expect(r.status != 0, sourceLocation: sourceLocation)
    #expect(r.stderr.contains(words), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    let left = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
    #expect(left.isEmpty, "left behind: \(left)", sourceLocation: sourceLocation)
  }

  @Test func badInputsWriteNothing() throws {
    let labelsDir = try synthLabels(count: 1)
    let good = labelsDir + "/cells_000.png"
    try expectFailure([good, dir + "/missing.png"], mentioning: "missing.png: no such file")
    write(Array(read(good).prefix(100)), to: dir + "/broken.png")
    try expectFailure([good, dir + "/broken.png"], mentioning: "broken.png: ")
    try ImageFile.write(Image<Float>(width: 8, height: 8, repeating: 1), to: dir + "/float.tif")
    try expectFailure([dir + "/float.tif"], mentioning: "float.tif: label image has float32 samples")
    try ImageFile.write(Image<UInt8>(width: 8, height: 8, channels: 3), to: dir + "/rgb.png")
    try expectFailure([dir + "/rgb.png"], mentioning: "rgb.png: label image has 3 channels")
    try expectFailure([dir + "/nothing-*.png"], mentioning: "pattern matches no file")
    try FileManager.default.createDirectory(atPath: dir + "/other", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: good, toPath: dir + "/other/cells_000.png")
    try expectFailure([good, dir + "/other/cells_000.png"], mentioning: "same name 'cells_000'")
  }

  @Test func badOptionValues() throws {
    let good = try synthLabels(count: 1) + "/cells_000.png"
    try expectFailure([good, "--sigma", "0"], mentioning: "--sigma 0.0: must be finite and > 0")
    try expectFailure([good, "--sigma=-2"], mentioning: "--sigma -2.0")
    try expectFailure([good, "--w0=-1"], mentioning: "--w0 -1.0: must be finite and >= 0")
    try expectFailure([good, "--class-weights", "1,-2"], mentioning: "-2.0")
    try expectFailure([good, "--class-weights", "heavy"], mentioning: "heavy")
    try expectFailure([good, "--class-weights", "1,x"], mentioning: "1,x")
    try expectFailure([good, "--connectivity", "6"], mentioning: "6")
    try expectFailure([good, "--border-on", "edges"], mentioning: "edges")
    try expectFailure([good, "--format", "png"], mentioning: "png")
    try expectFailure([good, "--class-weights-scope", "all"], mentioning: "all")
    try expectFailure([good, "--jobs", "0"], mentioning: "--jobs")
    try expectFailure([good, "--sigma", "abc"], mentioning: "abc")
  }
}
