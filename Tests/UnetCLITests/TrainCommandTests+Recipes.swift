import Foundation
import Testing
import UNet

/// Optimisers, recipes and time budgets of `unet train`.
extension TrainCommandTests {
  @Test func optimizerOptionsReachTheCheckpoint() throws {
    let cases: [([String], Optimizer)] = [
      ([], Recipe.default.optimizer),
      (["--recipe", "paper"], .paper),
      (["--optimizer", "sgd"], .paper),
      (["--optimizer", "sgd", "--nesterov", "--weight-decay", "1e-4"], .sgd(momentum: 0.99, nesterov: true, weightDecay: 1e-4)),
      (["--recipe", "paper", "--nesterov"], .sgd(momentum: 0.99, nesterov: true)),
      (["--optimizer", "adam", "--lr", "1e-4"], .adam()),
      (
        ["--optimizer", "adamw", "--betas", "0.8,0.99", "--eps", "1e-6", "--weight-decay", "0.05"],
        .adamw(beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.05)
      ),
    ]
    for (index, (options, optimizer)) in cases.enumerated() {
      let out = dir + "/optimizer-\(index)"
      let r = try train(out, ["--steps", "3", "--schedule", "poly"] + options)
      #expect(r.status == 0, "\(options): \(r.stderr)")
      #expect((r.stdout + r.stderr).contains(optimizer.summary), "\(r.stderr)")
      let checkpoint = try Checkpoint.read(from: out + "/last.ckpt")
      #expect(checkpoint.configuration.optimizer == optimizer)
      #expect(checkpoint.configuration.schedule == .poly)
      #expect(checkpoint.optimizerState.map { Set($0.keys) } == Set(optimizer.slots))
      #expect(try steps(out).allSatisfy { $0.loss!.isFinite })
    }
  }

  /// A run without `--recipe` is `--recipe default`'s, `--recipe paper`
  /// has the paper's optimiser, and a recipe's values yield to options
  /// given beside it.
  @Test func recipesAreTheirValuesUnderTheOptions() throws {
    let plain = dir + "/plain"
    #expect(try train(plain, ["--steps", "2", "--seed", "4"]).status == 0)
    let named = dir + "/recipe-default"
    var r = try train(named, ["--recipe", "default", "--steps", "2", "--seed", "4"])
    #expect(r.status == 0, "\(r.stderr)")
    // The same run (the checkpoints differ only in their wall-clock times).
    let (a, b) = (try Checkpoint.read(from: named + "/last.ckpt"), try Checkpoint.read(from: plain + "/last.ckpt"))
    #expect(a.configuration == b.configuration)
    #expect(a.parameters == b.parameters && a.optimizerState == b.optimizerState && a.stream == b.stream)
    let paperRun = dir + "/recipe-paper"
    r = try train(paperRun, ["--recipe", "paper", "--steps", "2", "--seed", "4"])
    #expect(r.status == 0, "\(r.stderr)")
    for (run, recipe) in [(plain, Recipe.default), (paperRun, Recipe.paper)] {
      let c = try Checkpoint.read(from: run + "/last.ckpt").configuration
      #expect(c.optimizer == recipe.optimizer && c.learningRate == recipe.learningRate, "\(recipe.name)")
      #expect(c.schedule == recipe.schedule && c.batch == recipe.batch, "\(recipe.name)")
      #expect(c.architecture.dropout == recipe.dropout && c.warmupSteps == recipe.warmup(forSteps: 2), "\(recipe.name)")
      // The tiny options (base channels 4, depth 1, tile 36) overrode the recipe's.
      #expect(c.architecture.baseChannels == 4 && c.architecture.depth == 1 && c.tile == 36, "\(recipe.name)")
    }
    #expect(Recipe.default.optimizer != Recipe.paper.optimizer)
  }

  /// --time-limit stops at the first step whose training time (`elapsed`)
  /// reaches the limit, with a checkpoint and status 0; a resumed run
  /// counts its earlier segments' time, and one already past its limit
  /// stops at once.
  @Test func timeLimitStopsWithACheckpointAndCountsEverySegment() throws {
    let out = dir + "/timed"
    let limit = 0.002  // minutes: 0.12 s
    var r = try train(out, ["--steps", "100000", "--checkpoint-every", "100000", "--time-limit", "\(limit)"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("time limit of \(limit) minutes reached after step"), "\(r.stdout)")
    func check(_ minutes: Double) throws -> Int {
      let records = try steps(out)
      let elapsed = try records.map { try #require($0.elapsed) }
      // The run's training time (elapsed, rounded in metrics.jsonl: 1 ms of
      // slack) reached the limit at the last step and not before it.
      #expect(elapsed.last! + 1e-3 >= minutes * 60, "stopped early: \(elapsed.last!) s")
      #expect(elapsed.dropLast().last.map { $0 < minutes * 60 } ?? true, "stopped late: \(elapsed.suffix(2)) s")
      let step = try #require(records.last?.step)
      #expect(try Checkpoint.read(from: out + "/last.ckpt").step == step)
      #expect(records.map(\.step) == Array(1...step))
      return step
    }
    let first = try check(limit)
    #expect(first < 100000)
    // Another 0.18 s beyond what the first segment spent (its first step,
    // and the checkpoint, may have taken longer than the limit).
    let later = try #require(Checkpoint.read(from: out + "/last.ckpt").elapsed) / 60 + 0.003
    r = try train(out, ["--resume", "--time-limit", "\(later)"])
    #expect(r.status == 0, "\(r.stderr)")
    let second = try check(later)
    #expect(second > first)
    // Already past the limit: no step, the same checkpoint step, status 0.
    r = try train(out, ["--resume", "--time-limit", "\(later)"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("reached after step \(second)"), "\(r.stdout)")
    #expect(try steps(out).last?.step == second)
  }

  @Test func optimizerAndRecipeMistakesAreRefused() throws {
    let out = dir + "/mistakes"
    for (options, words) in [
      (["--optimizer", "adam", "--nesterov"], ["--nesterov", "adam"]),
      (["--momentum", "0.9", "--optimizer", "adamw"], ["--momentum", "adamw"]),
      (["--optimizer", "sgd", "--eps", "1e-6"], ["--eps", "sgd"]),
      (["--momentum", "0.9"], ["--momentum", "adam"]),
      (["--optimizer", "adam", "--betas", "0.9,1"], ["--betas 0.9,1.0"]),
      (["--weight-decay=-1"], ["--weight-decay -1.0"]),
      (["--time-limit", "0"], ["--time-limit", "0.0"]),
    ] {
      // Checked with the other option values: a usage error, one line naming the option.
      let r = try train(out, ["--steps", "2"] + options)
      #expect(r.status == 64 && words.allSatisfy { r.stderr.contains($0) }, "\(options): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(options): \(r.stderr)")
    }
    for options in [["--optimizer", "lbfgs"], ["--recipe", "fast"], ["--optimizer", "adam", "--betas", "0.9"]] {
      let r = try train(out, ["--steps", "2"] + options)
      #expect(r.status != 0 && r.stderr.contains(options.last!), "\(options): \(r.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: out))

    let run = dir + "/resume-optimizer"
    #expect(try train(run, ["--steps", "2", "--optimizer", "adam", "--lr", "1e-4"]).status == 0)
    let checkpoint = read(run + "/last.ckpt")
    for (options, words) in [
      (["--optimizer", "sgd"], ["--optimizer sgd", "adam"]),
      (["--eps", "1e-6"], ["--eps 1e-06", "1e-08"]),
      (["--nesterov"], ["--nesterov", "adam"]),
      (["--recipe", "paper"], ["--recipe paper (lr)", "0.0001"]),
      (["--recipe", "paper", "--lr", "1e-4"], ["--recipe paper (optimizer)", "Adam"]),
      (["--recipe", "default"], ["--recipe default (lr)", "0.0001"]),
    ] {
      let r = try train(run, ["--steps", "4", "--resume"] + options)
      expectRefused(r, run, mentioning: words, checkpoint: checkpoint)
    }
  }
}
