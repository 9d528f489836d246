import Foundation

/// A chart of a run's loss as a self-contained SVG (640×400), for a quick
/// look at a training run without other tools; with validation scores, a
/// second chart below (640×730 in all) shows the validation Rand and pixel
/// errors against the training minutes (``MetricsRecord/elapsed``).
///
/// The training loss of each step is a thin light line, its trailing moving
/// average (over `max(1, steps / 50)` steps) a bold line, the validation loss
/// dots. The y axis is logarithmic when the losses span more than a factor
/// of 20, else linear; ticks fall on 1-2-5 steps. NaN and infinite losses
/// are left out; with no records the chart says "no steps yet".
public enum LossPlot {
  /// The chart as SVG text.
  /// - Complexity: O(n log n) for n records.
  public static func svg(_ records: [MetricsRecord], title: String) -> String {
    let records = records.sorted { $0.step < $1.step }
    // Beyond ±1e300 the axis arithmetic would overflow: such values are left out like NaN.
    func point(_ x: Double?, _ y: Double?) -> Point? {
      guard let x, let y, x.isFinite, y.isFinite, abs(y) <= 1e300, abs(x) <= 1e300 else { return nil }
      return Point(x: x, y: y)
    }
    let training = records.compactMap { point(Double($0.step), $0.loss) }
    let validation = records.compactMap { point(Double($0.step), $0.validationLoss) }
    let minutes = { (r: MetricsRecord) in r.elapsed.map { $0 / 60 } }
    let randErrors = records.compactMap { point(minutes($0), $0.validationRandError) }
    let pixelErrors = records.compactMap { point(minutes($0), $0.validationPixelError) }
    let quality = !randErrors.isEmpty || !pixelErrors.isEmpty
    let height = quality ? Frame.qualityHeight : Frame.lossHeight

    var out = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Frame.width)" height="\(height)" \
      viewBox="0 0 \(Frame.width) \(height)" font-family="sans-serif" font-size="11" fill="#222">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(Frame.width / 2)" y="24" font-size="15" font-weight="bold" \
      text-anchor="middle">\(escaped(title))</text>

      """
    out += lossChart(records: records, training: training, validation: validation)
    if quality { out += qualityChart(rand: randErrors, pixel: pixelErrors) }
    return out + "</svg>\n"
  }

  /// The loss against the step, in the top 400 pixels.
  private static func lossChart(records: [MetricsRecord], training: [Point], validation: [Point]) -> String {
    let all = training + validation
    let top = Frame.lossTop, bottom = Frame.lossBottom
    guard let yMin = all.map(\.y).min(), let yMax = all.map(\.y).max(),
      let xMin = all.map(\.x).min(), let xMax = all.map(\.x).max()
    else {
      let message = records.isEmpty ? "no steps yet" : "no finite loss values"
      var out = Frame.outline(top: top, bottom: bottom)
      out += "<text x=\"\(Frame.centerX)\" y=\"\((top + bottom) / 2)\" font-size=\"14\" text-anchor=\"middle\" "
      out += "fill=\"#888\">\(message)</text>\n"
      return out
    }

    let logarithmic = yMin > 0 && yMax / yMin > 20
    let yTicks = logarithmic ? logTicks(yMin, yMax) : linearTicks(yMin, yMax, integers: false)
    let xTicks = linearTicks(xMin, xMax, integers: true)
    let frame = Frame(
      x: xTicks.first!...xTicks.last!, y: yTicks.first!...yTicks.last!, logarithmic: logarithmic, top: top, bottom: bottom)
    var out = axes(
      frame, xTicks: xTicks, yTicks: yTicks, xTitle: "step", yTitle: logarithmic ? "loss (log scale)" : "loss")

    let window = max(1, training.count / 50)
    var legend: [(swatch: String, text: String)] = []
    if !training.isEmpty {
      out += polyline(training, frame: frame, kind: "training", stroke: Color.training, width: 1)
      let average = movingAverage(training, window: window)
      out += polyline(average, frame: frame, kind: "average", stroke: Color.average, width: 2.2)
      // A polyline of one point draws nothing.
      if training.count == 1 { out += circle(training[0], frame: frame, kind: "training", fill: Color.average) }
      legend.append((swatchLine(Color.training, width: 1), "training loss"))
      legend.append((swatchLine(Color.average, width: 2.2), "mean of \(window) step\(window == 1 ? "" : "s")"))
    }
    if !validation.isEmpty {
      for point in validation { out += circle(point, frame: frame, kind: "validation", fill: Color.validation) }
      legend.append(("<circle cx=\"10\" cy=\"0\" r=\"3\" fill=\"\(Color.validation)\"/>", "validation loss"))
    }
    out += legendBox(legend, top: top)
    return out
  }

  /// The validation errors against the training minutes, below the loss.
  private static func qualityChart(rand: [Point], pixel: [Point]) -> String {
    let all = rand + pixel
    let top = Frame.qualityTop, bottom = Frame.qualityBottom
    var out = """
      <text x="\(Frame.width / 2)" y="\(top - 12)" font-size="13" font-weight="bold" \
      text-anchor="middle">validation error against training time</text>

      """
    // Errors lie in [0, 1]: the axis starts at 0.
    let yTicks = linearTicks(0, max(all.map(\.y).max()!, 0.01), integers: false)
    let xTicks = linearTicks(0, max(all.map(\.x).max()!, 0.1), integers: false)
    let frame = Frame(
      x: xTicks.first!...xTicks.last!, y: yTicks.first!...yTicks.last!, logarithmic: false, top: top, bottom: bottom)
    out += axes(frame, xTicks: xTicks, yTicks: yTicks, xTitle: "training minutes", yTitle: "error")
    var legend: [(swatch: String, text: String)] = []
    for (points, kind, color, text) in [
      (rand, "rand-error", Color.average, "Rand error"), (pixel, "pixel-error", Color.validation, "pixel error"),
    ] where !points.isEmpty {
      out += polyline(points, frame: frame, kind: kind, stroke: color, width: 1.5)
      for point in points { out += circle(point, frame: frame, kind: kind, fill: color) }
      legend.append(("<circle cx=\"10\" cy=\"0\" r=\"3\" fill=\"\(color)\"/>", text))
    }
    out += legendBox(legend, top: top)
    return out
  }

  /// Writes `svg(records, title:)` to `path` atomically.
  public static func write(_ records: [MetricsRecord], title: String, to path: String) throws {
    try writeFileAtomically(Array(svg(records, title: title).utf8), to: path)
  }

  // MARK: - Ticks

  /// Ticks on a linear axis: multiples of a 1-2-5 step (about 5 intervals)
  /// from the last at or below `lo` to the first at or above `hi`. A single
  /// value is widened by 10% of itself (1 when it is 0); with `integers` the
  /// step is at least 1.
  static func linearTicks(_ lo: Double, _ hi: Double, integers: Bool) -> [Double] {
    var (lo, hi) = (lo, hi)
    if lo == hi {
      let pad = lo == 0 ? 1 : abs(lo) / 10
      (lo, hi) = (lo - (integers ? max(1, pad) : pad), hi + (integers ? max(1, pad) : pad))
    }
    let raw = (hi - lo) / 5
    var exponent = Int(floor(log10(raw)))
    let normalized = raw / pow(10, Double(exponent))
    var mantissa = normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10
    if mantissa == 10 { (mantissa, exponent) = (1, exponent + 1) }
    if integers && exponent < 0 { (mantissa, exponent) = (1, 0) }
    let step = decimal(mantissa, exponent)
    // The tolerance keeps 0.3 / 0.1 = 2.9999999999999996 at 3.
    let first = Int(floor(lo / step + 1e-9))
    let last = Int(ceil(hi / step - 1e-9))
    return (first...last).map { decimal($0 * mantissa, exponent) }
  }

  /// Ticks on a logarithmic axis from the largest value 1, 2 or 5 · 10^k at
  /// or below `lo` to the smallest at or above `hi` (`lo` > 0): all such
  /// values when the range spans at most 2.5 decades, else the powers of ten
  /// and the two ends.
  static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
    let candidates = (Int(floor(log10(lo))) - 1...Int(ceil(log10(hi))) + 1).flatMap { k in
      [1, 2, 5].map { (value: decimal($0, k), decade: $0 == 1) }
    }
    let bottom = candidates.last { $0.value <= lo }!.value
    let top = candidates.first { $0.value >= hi }!.value
    let inRange = candidates.filter { bottom <= $0.value && $0.value <= top }
    let dense = log10(top / bottom) <= 2.5
    return inRange.filter { dense || $0.decade || $0.value == bottom || $0.value == top }.map(\.value)
  }

  /// `mantissa · 10^exponent`, as the double nearest to that decimal.
  private static func decimal(_ mantissa: Int, _ exponent: Int) -> Double {
    exponent >= 0 ? Double(mantissa) * pow(10, Double(exponent)) : Double(mantissa) / pow(10, Double(-exponent))
  }

  // MARK: - Drawing

  struct Point {
    var x: Double
    var y: Double
  }

  /// The trailing mean of the last `window` values at each point.
  static func movingAverage(_ points: [Point], window: Int) -> [Point] {
    var sum = 0.0
    return points.indices.map { i in
      sum += points[i].y
      if i >= window { sum -= points[i - window].y }
      return Point(x: points[i].x, y: sum / Double(min(i + 1, window)))
    }
  }

  /// The canvas layout and the mapping from data to canvas coordinates.
  private struct Frame {
    static let width = 640, lossHeight = 400, qualityHeight = 730
    /// The plot areas: the loss chart, and the validation chart below it.
    static let left = 72, right = 620, lossTop = 44, lossBottom = 344, qualityTop = 444, qualityBottom = 674
    static let centerX = (left + right) / 2

    static func outline(top: Int, bottom: Int) -> String {
      """
      <rect x="\(left)" y="\(top)" width="\(right - left)" height="\(bottom - top)" fill="none" stroke="#444"/>

      """
    }

    var x: ClosedRange<Double>
    var y: ClosedRange<Double>
    var logarithmic: Bool
    var top: Int
    var bottom: Int

    func px(_ value: Double) -> Double {
      Double(Frame.left) + (value - x.lowerBound) / (x.upperBound - x.lowerBound) * Double(Frame.right - Frame.left)
    }

    func py(_ value: Double) -> Double {
      let t =
        logarithmic
        ? log10(value / y.lowerBound) / log10(y.upperBound / y.lowerBound)
        : (value - y.lowerBound) / (y.upperBound - y.lowerBound)
      return Double(bottom) - t * Double(bottom - top)
    }
  }

  private enum Color {
    static let training = "#9ecae1", average = "#08519c", validation = "#e6550d", grid = "#e6e6e6"
  }

  /// Grid lines, tick labels, the plot's outline and the axis titles.
  private static func axes(_ frame: Frame, xTicks: [Double], yTicks: [Double], xTitle: String, yTitle: String) -> String {
    var out = ""
    for tick in yTicks {
      let y = number(frame.py(tick))
      out += "<line x1=\"\(Frame.left)\" y1=\"\(y)\" x2=\"\(Frame.right)\" y2=\"\(y)\" stroke=\"\(Color.grid)\"/>\n"
      out += "<text x=\"\(Frame.left - 6)\" y=\"\(y)\" dy=\"0.35em\" text-anchor=\"end\">\(label(tick))</text>\n"
    }
    for tick in xTicks {
      let x = number(frame.px(tick))
      out += "<line x1=\"\(x)\" y1=\"\(frame.top)\" x2=\"\(x)\" y2=\"\(frame.bottom)\" stroke=\"\(Color.grid)\"/>\n"
      out += "<text x=\"\(x)\" y=\"\(frame.bottom + 16)\" text-anchor=\"middle\">\(label(tick))</text>\n"
    }
    out += Frame.outline(top: frame.top, bottom: frame.bottom)
    out += """
      <text x="\(Frame.centerX)" y="\(frame.bottom + 44)" font-size="13" text-anchor="middle">\(xTitle)</text>
      <text transform="translate(18 \((frame.top + frame.bottom) / 2)) rotate(-90)" font-size="13" \
      text-anchor="middle">\(yTitle)</text>

      """
    return out
  }

  /// A legend box in the top right corner of a plot area.
  private static func legendBox(_ entries: [(swatch: String, text: String)], top: Int) -> String {
    let x = Frame.right - 150
    var out = "<g class=\"legend\">\n"
    out += "<rect x=\"\(x)\" y=\"\(top + 8)\" width=\"140\" height=\"\(8 + 16 * entries.count)\" "
    out += "fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n"
    for (i, entry) in entries.enumerated() {
      out += "<g transform=\"translate(\(x + 8) \(top + 20 + 16 * i))\">\(entry.swatch)"
      out += "<text x=\"28\" y=\"0\" dy=\"0.35em\">\(entry.text)</text></g>\n"
    }
    return out + "</g>\n"
  }

  private static func swatchLine(_ color: String, width: Double) -> String {
    "<line x1=\"0\" y1=\"0\" x2=\"20\" y2=\"0\" stroke=\"\(color)\" stroke-width=\"\(width)\"/>"
  }

  private static func polyline(_ points: [Point], frame: Frame, kind: String, stroke: String, width: Double) -> String {
    let coordinates = points.map { number(frame.px($0.x)) + "," + number(frame.py($0.y)) }.joined(separator: " ")
    return "<polyline class=\"\(kind)\" points=\"\(coordinates)\" fill=\"none\" stroke=\"\(stroke)\" "
      + "stroke-width=\"\(width)\" stroke-linejoin=\"round\"/>\n"
  }

  private static func circle(_ point: Point, frame: Frame, kind: String, fill: String) -> String {
    let (x, y) = (number(frame.px(point.x)), number(frame.py(point.y)))
    return "<circle class=\"\(kind)\" cx=\"\(x)\" cy=\"\(y)\" r=\"3\" fill=\"\(fill)\"/>\n"
  }

  /// A coordinate with one decimal (`12.5`, `-3.0`).
  private static func number(_ value: Double) -> String {
    guard value.isFinite else { return "0.0" }
    let tenths = Int((value * 10).rounded())
    return (tenths < 0 ? "-" : "") + "\(abs(tenths) / 10).\(abs(tenths) % 10)"
  }

  /// A tick label: the shortest of `%g` (`0.02`, `1500`, `1e-05`).
  static func label(_ value: Double) -> String { String(format: "%g", value) }

  /// `text` with XML's special characters escaped and control characters
  /// dropped (line breaks become spaces).
  private static func escaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      case "\t", "\n", "\r": out += " "
      default:
        // Other control characters have no place in XML 1.0.
        if scalar.value >= 0x20 && scalar.value != 0x7F { out.unicodeScalars.append(scalar) }
      }
    }
    return out
  }
}
