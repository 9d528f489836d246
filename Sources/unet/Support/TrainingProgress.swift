import Foundation
import UNet

/// The progress of `unet train`: on a terminal, a bar with the step, loss,
/// seconds per step and the time left; otherwise a plain line at the first
/// and last step, at checkpoints and every 10 seconds. Validation results
/// are lines of their own.
final class TrainingProgress {
  private let bar: ProgressBar
  private let total: Int
  private let start: Int
  private var times: [Double] = []
  private var lastLine = Date.distantPast

  /// Progress of a run to step `total`, starting after step `start`.
  init(total: Int, start: Int) {
    self.total = total
    self.start = start
    bar = ProgressBar(total: total, label: "train", width: 24)
  }

  /// Progress of `trainer`'s run, after a line that describes it (and,
  /// with `kernels`, the implementation of every primitive of a step).
  convenience init(_ trainer: Trainer, initial: String?, kernels: Bool) {
    let c = trainer.configuration
    let a = c.architecture
    self.init(total: c.steps, start: trainer.step)
    let start = trainer.step > 0 ? "; resuming at step \(trainer.step)" : initial.map { "; starting from \($0)" } ?? ""
    line(
      "train: \(a.baseChannels) base channels, depth \(a.depth)\(a.normLayer == .batch ? ", batch norm" : ""), "
        + "tile \(c.tile) -> \(TileSize((try? c.outputExtent()) ?? [])), batch \(c.batch), "
        + "lr \(c.learningRate) (\(c.schedule.rawValue), warm-up \(c.warmupSteps)), \(c.optimizer.summary); "
        + "\(trainer.backendName)" + start)
    if kernels { line(KernelList(trainer.kernels).description) }
  }

  /// Prints `text` as a line of its own.
  func line(_ text: String) { bar.line(text) }

  /// Shows the step just done.
  func step(_ r: Trainer.StepReport) {
    times.append(r.seconds)
    let recent = times.suffix(20)
    let perStep = recent.reduce(0, +) / Double(recent.count)
    let eta = perStep * Double(total - r.step)
    let text = String(format: "step %d/%d  loss %.4f  %.2f s/step  ETA %@", r.step, total, r.loss, perStep, duration(eta))
    if let v = r.validation {
      let s = v.scores
      line(
        String(
          format: "step %d: validation loss %.4f, pixel error %.4f @ %.2f, Rand error %.4f @ %.2f", r.step, v.loss,
          s.pixelError.value, s.pixelError.threshold ?? 0, s.randError.value, s.randError.threshold ?? 0))
    }
    if bar.isTerminal {
      bar.show(done: r.step, text: text)
    } else if r.step == start + 1 || r.step == total || r.checkpoint != nil || Date().timeIntervalSince(lastLine) >= 10 {
      lastLine = Date()
      line(text)
    }
  }

  /// Removes the bar.
  func finish() { bar.finish() }

  private func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : String(format: "%dm%02ds", s / 60, s % 60)
  }
}
