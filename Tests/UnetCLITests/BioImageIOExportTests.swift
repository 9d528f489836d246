import Foundation
import Testing
import _TestSupport

/// The Python that checks the exported models.
let bioImageIOPython = ModulePython("bioimageio.core, onnxruntime, numpy, torch", for: "BioImageIOExportTests")

/// `unet export --format bioimageio` checked by bioimageio.core: the package
/// passes `bioimageio test` (the description, the test output reproduced
/// from the test input by the ONNX and the PyTorch weights, and runs of each
/// at batch sizes 1 and 2 and several valid sizes), gives the same bytes twice, and comes back in
/// `unet predict --model`.
@Suite(
  .slow,
  .enabled(if: bioImageIOPython.command != nil, "needs a Python importing bioimageio.core, onnxruntime, numpy and torch: set UNETKIT_TORCH_PYTHON"))
struct BioImageIOExportTests {
  let dir = makeTemporaryDirectory()

  func checkImports() throws { try bioImageIOPython.checkImports() }

  /// 3 steps of `unet train` (4 base channels, depth 2, tile 60) on 4
  /// augmented samples, validated at the end, with and without batch
  /// normalisation, exported as a package.
  @Test(arguments: ["none", "batch"])
  func bioimageioTestPasses(normLayer: String) throws {
    try checkImports()
    #expect(try unet(["synth", "--out", dir + "/src", "--count", "2", "--size", "48x48", "--seed", "3", "--cells", "5"]).status == 0)
    let augment = try unet([
      "augment", "--images", dir + "/src/images", "--labels", dir + "/src/labels", "--out", dir + "/ds",
      "--samples", "4", "--per-shard", "2", "--seed", "1", "--jobs", "1",
    ])
    try #require(augment.status == 0, "\(augment.stderr)")
    let train = try unet([
      "train", "--shards", dir + "/ds", "--out", dir + "/run", "--base-channels", "4", "--depth", "2",
      "--tile", "60", "--steps", "3", "--threads", "1", "--norm-layer", normLayer, "--val-images", dir + "/src/images",
      "--val-labels", dir + "/src/labels", "--val-every", "3",
    ])
    try #require(train.status == 0, "\(train.stderr)")
    let package = dir + "/package"
    let arguments = [
      "export", "--model", dir + "/run", "--format", "bioimageio", "--license", "MIT", "--author", "Ada Lovelace",
      "--author", "Charles Babbage",
    ]
    let export = try unet(arguments + ["--out", package])
    try #require(export.status == 0, "\(export.stderr)")
    #expect(export.stdout.contains("input sizes 44 + 4k, halo 20, test tensors 60 -> 20"), "\(export.stdout)")
    let files = try FileManager.default.contentsOfDirectory(atPath: package).sorted()
    #expect(
      files == [
        "README.md", "cover.png", "rdf.yaml", "test_input.npy", "test_output.npy", "unet_module.py",
        "unetkit.safetensors", "weights.onnx", "weights.pt",
      ], "\(files)")
    #expect(read(package + "/unet_module.py") == read(packageRoot + "/examples/pytorch/unet_module.py"))
    let description = String(decoding: read(package + "/rdf.yaml"), as: UTF8.self)
    #expect(description.contains("format_version: 0.5.4"))
    #expect(description.contains("  - name: \"Ada Lovelace\"\n  - name: \"Charles Babbage\""))
    #expect(description.contains("min: 44\n          step: 4"))
    #expect(description.contains("offset: -40"))
    #expect(description.contains("min_percentile: 1.0\n          max_percentile: 99.8"))
    let readme = String(decoding: read(package + "/README.md"), as: UTF8.self)
    #expect(readme.contains("3 steps") && readme.contains("\"steps\" : 3"), "\(readme)")
    #expect(readme.contains("## Validation\n\nAt step 3:") && readme.contains("| Rand error | "), "\(readme)")

    let test = try bioImageIOPython.python([pythonScriptsFolder + "/bioimageio_test.py", package])
    try #require(test.status == 0, "\(test.stderr)")
    struct Summary: Decodable {
      struct Detail: Decodable {
        var name: String
        var status: String
        var errors: [String]
      }
      var status: String
      var details: [Detail]
    }
    let summary = try JSONDecoder().decode(Summary.self, from: Data(test.stdout.utf8))
    let failed = summary.details.filter { $0.status != "passed" }
    #expect(summary.status == "passed", "\(failed.map { "\($0.name): \($0.errors)" })")
    let names = summary.details.filter { $0.status == "passed" }.map(\.name)
    for format in ["onnx", "pytorch_state_dict"] {
      #expect(names.contains { $0.hasPrefix("Reproduce test outputs from test inputs (\(format))") }, "\(names)")
      for batch in [1, 2] {
        #expect(names.contains { $0.contains("\(format) inference for inputs with batch_size: \(batch)") }, "\(names)")
      }
    }

    // The same model gives the same bytes; an existing output needs --force.
    let again = try unet(arguments + ["--out", package])
    #expect(again.status == 1 && again.stderr == "unet: error: \(package): exists; pass --force to replace it\n", "\(again.stderr)")
    let forced = try unet(arguments + ["--out", dir + "/again", "--force"])
    #expect(forced.status == 0, "\(forced.stderr)")
    for file in files { #expect(read(package + "/" + file) == read(dir + "/again/" + file), "\(file)") }
    let replaced = try unet(arguments + ["--out", dir + "/again", "--force"])
    #expect(replaced.status == 0, "\(replaced.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".tmp") }.isEmpty)

    // The package comes back: unet predict --model PACKAGE predicts as the run does.
    let image = dir + "/src/images/cells_000.png"
    let fromPackage = try unet(["predict", "--model", package, image, "--out", dir + "/p1"])
    try #require(fromPackage.status == 0, "\(fromPackage.stderr)")
    let fromRun = try unet(["predict", "--model", dir + "/run", image, "--out", dir + "/p2"])
    try #require(fromRun.status == 0, "\(fromRun.stderr)")
    #expect(read(dir + "/p1/cells_000.prob.tiff") == read(dir + "/p2/cells_000.prob.tiff"))
  }
}

/// Bad inputs of `unet export --format bioimageio`: one line, a non-zero
/// status, nothing written.
@Suite struct BioImageIOExportErrorTests {
  let dir = makeTemporaryDirectory()

  @Test(arguments: [
    (["--license", "MIT"], "--format bioimageio needs --author NAME (repeatable)"),
    (["--author", "A"], "--format bioimageio needs --license (an SPDX identifier such as MIT)"),
    (["--license", "MIT License", "--author", "A"], "--license MIT License: not an SPDX identifier (letters, digits, '.', '-', '+')"),
  ])
  func missingOrBadMetadataIsAUsageError(options: [String], message: String) throws {
    let result = try unet(["export", "--model", dir + "/none", "--format", "bioimageio", "--out", dir + "/pkg"] + options)
    #expect(result.status == 64, "\(result.stderr)")
    #expect(result.stderr.hasPrefix("unet: error: \(message)\n"), "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir + "/pkg"))
  }

  @Test func packageOptionsNeedTheBioimageioFormat() throws {
    let result = try unet(["export", "--model", dir + "/none", "--out", dir + "/w.safetensors", "--license", "MIT"])
    #expect(result.status == 64)
    #expect(result.stderr.hasPrefix("unet: error: --license, --author and --name apply to --format bioimageio\n"), "\(result.stderr)")
  }

  @Test func aPackageWithoutUNetKitWeightsIsNotAModel() throws {
    try FileManager.default.createDirectory(atPath: dir + "/pkg", withIntermediateDirectories: true)
    try Data("type: model\n".utf8).write(to: URL(fileURLWithPath: dir + "/pkg/rdf.yaml"))
    try Data([0]).write(to: URL(fileURLWithPath: dir + "/image.npy"))
    let result = try unet(["predict", "--model", dir + "/pkg", dir + "/image.npy", "--out", dir + "/out"])
    #expect(result.status == 1)
    #expect(
      result.stderr.hasPrefix(
        "unet: error: \(dir)/pkg: a BioImage Model Zoo package without unetkit.safetensors; only packages that unet export wrote can be read"),
      "\(result.stderr)")
  }
}
