import Foundation
import Testing
import UNet

/// `unet train --norm-layer batch` and what follows from it: the checkpoint,
/// resuming, fine-tuning, export and prediction.
extension TrainCommandTests {
  @Test func batchNormRunResumesExportsAndPredicts() throws {
    let src = try dataset()
    let out = dir + "/norm"
    var r = try train(out, ["--steps", "3", "--norm-layer", "batch", "--checkpoint-every", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("depth 1, batch norm,"), "\(r.stderr)")
    var checkpoint = try Checkpoint.read(from: out + "/last.ckpt")
    let a = checkpoint.configuration.architecture
    #expect(a.normLayer == .batch)
    #expect(checkpoint.statistics.batches == 3 && checkpoint.statistics.values.count == a.statisticSpecs.count)
    #expect(checkpoint.statistics != a.initialStatistics)
    #expect(try steps(out).allSatisfy { $0.loss!.isFinite })

    // Resumed to 5 steps, the run equals one of 5 steps, running statistics included.
    r = try train(out, ["--steps", "5", "--resume"])
    #expect(r.status == 0, "\(r.stderr)")
    let whole = dir + "/norm-whole"
    r = try train(whole, ["--steps", "5", "--norm-layer", "batch", "--checkpoint-every", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(sameCheckpoint(out + "/last.ckpt", whole + "/last.ckpt"))
    checkpoint = try Checkpoint.read(from: out + "/last.ckpt")
    #expect(checkpoint.statistics.batches == 5)

    // The norm layer is part of the run and of the model.
    let bytes = read(out + "/last.ckpt")
    r = try train(out, ["--steps", "6", "--resume", "--norm-layer", "none"])
    expectRefused(r, out, mentioning: ["--norm-layer none", "batch"], checkpoint: bytes)
    r = try train(out, ["--steps", "6", "--resume", "--recipe", "paper", "--optimizer", "adam", "--lr", "0.0003"])
    expectRefused(r, out, mentioning: ["--recipe paper (norm-layer)", "none", "batch"], checkpoint: bytes)
    r = try train(dir + "/norm-init", ["--steps", "1", "--init", out, "--norm-layer", "none"])
    #expect(r.status != 0 && r.stderr.contains("--norm-layer none differs from the model"), "\(r.stderr)")
    r = try train(dir + "/norm-init", ["--steps", "1", "--init", out])
    #expect(r.status == 0, "\(r.stderr)")
    let tuned = try Checkpoint.read(from: dir + "/norm-init/last.ckpt")
    #expect(tuned.configuration.architecture.normLayer == .batch && tuned.statistics.batches == 6)

    // Export: PyTorch's BatchNorm2d names, the norm layer in the architecture.
    r = try unet(["export", "--model", out, "--out", dir + "/norm.safetensors"])
    #expect(r.status == 0, "\(r.stderr)")
    let exported = try SafeTensors.read(from: dir + "/norm.safetensors")
    for suffix in ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"] {
      #expect(exported["down.0.1." + suffix] != nil, "down.0.1.\(suffix)")
    }
    #expect(exported["down.0.0.bias"] == nil && exported["down.0.3.weight"] != nil)
    #expect(exported.metadata["architecture"]?.contains(#""normLayer":"batch""#) == true)

    // Prediction with the checkpoint and with the exported file agree exactly.
    r = try unet(["predict", "--model", out, src.images, "--out", dir + "/norm-pred-a"])
    #expect(r.status == 0, "\(r.stderr)")
    r = try unet(["predict", "--model", dir + "/norm.safetensors", src.images, "--out", dir + "/norm-pred-b"])
    #expect(r.status == 0, "\(r.stderr)")
    let predicted = names(dir + "/norm-pred-a").filter { $0.hasSuffix(".prob.tiff") }
    #expect(predicted.count == 8)
    for name in predicted {
      #expect(sameBytes(dir + "/norm-pred-a/" + name, dir + "/norm-pred-b/" + name), "\(name)")
    }
  }
}
