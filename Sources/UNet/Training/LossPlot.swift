import Foundation
import _Support

/// A chart of a run's loss as a self-contained SVG (640×400), for a quick
/// look at a training run without other tools.
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
    func point(_ step: Int, _ loss: Double?) -> Point? {
      guard let loss, loss.isFinite, abs(loss) <= 1e300 else { return nil }
      return Point(x: Double(step), y: loss)
    }
    let training = records.compactMap { point($0.step, $0.loss) }
    let validation = records.compactMap { point($0.step, $0.validationLoss) }

    var out = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Frame.width)" height="\(Frame.height)" \
      viewBox="0 0 \(Frame.width) \(Frame.height)" font-family="sans-serif" font-size="11" fill="#222">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(Frame.width / 2)" y="24" font-size="15" font-weight="bold" \
      text-anchor="middle">\(escaped(title))</text>

      """
    let all = training + validation
    guard let yMin = all.map(\.y).min(), let yMax = all.map(\.y).max(),
      let xMin = all.map(\.x).min(), let xMax = all.map(\.x).max()
    else {
      let message = records.isEmpty ? "no steps yet" : "no finite loss values"
      out += Frame.outline
      out += "<text x=\"\(Frame.centerX)\" y=\"\(Frame.centerY)\" font-size=\"14\" text-anchor=\"middle\" "
      out += "fill=\"#888\">\(message)</text>\n</svg>\n"
      return out
    }

    let logarithmic = yMin > 0 && yMax / yMin > 20
    let yTicks = logarithmic ? logTicks(yMin, yMax) : linearTicks(yMin, yMax, integers: false)
    let xTicks = linearTicks(xMin, xMax, integers: true)
    let frame = Frame(x: xTicks.first!...xTicks.last!, y: yTicks.first!...yTicks.last!, logarithmic: logarithmic)
    out += axes(frame, xTicks: xTicks, yTicks: yTicks)

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
    out += legendBox(legend)
    return out + "</svg>\n"
  }

  /// Writes `svg(records, title:)` to `path` atomically.
  public static func write(_ records: [MetricsRecord], title: String, to path: String) throws {
    try AtomicFile.write(Array(svg(records, title: title).utf8), to: path)
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
    static let width = 640, height = 400
    /// The plot area.
    static let left = 72, right = 620, top = 44, bottom = 344
    static let centerX = (left + right) / 2, centerY = (top + bottom) / 2
    static let outline = """
      <rect x="\(left)" y="\(top)" width="\(right - left)" height="\(bottom - top)" fill="none" stroke="#444"/>

      """
    var x: ClosedRange<Double>
    var y: ClosedRange<Double>
    var logarithmic: Bool

    func px(_ value: Double) -> Double {
      Double(Frame.left) + (value - x.lowerBound) / (x.upperBound - x.lowerBound) * Double(Frame.right - Frame.left)
    }

    func py(_ value: Double) -> Double {
      let t =
        logarithmic
        ? log10(value / y.lowerBound) / log10(y.upperBound / y.lowerBound)
        : (value - y.lowerBound) / (y.upperBound - y.lowerBound)
      return Double(Frame.bottom) - t * Double(Frame.bottom - Frame.top)
    }
  }

  private enum Color {
    static let training = "#9ecae1", average = "#08519c", validation = "#e6550d", grid = "#e6e6e6"
  }

  /// Grid lines, tick labels, the plot's outline and the axis titles.
  private static func axes(_ frame: Frame, xTicks: [Double], yTicks: [Double]) -> String {
    var out = ""
    for tick in yTicks {
      let y = number(frame.py(tick))
      out += "<line x1=\"\(Frame.left)\" y1=\"\(y)\" x2=\"\(Frame.right)\" y2=\"\(y)\" stroke=\"\(Color.grid)\"/>\n"
      out += "<text x=\"\(Frame.left - 6)\" y=\"\(y)\" dy=\"0.35em\" text-anchor=\"end\">\(label(tick))</text>\n"
    }
    for tick in xTicks {
      let x = number(frame.px(tick))
      out += "<line x1=\"\(x)\" y1=\"\(Frame.top)\" x2=\"\(x)\" y2=\"\(Frame.bottom)\" stroke=\"\(Color.grid)\"/>\n"
      out += "<text x=\"\(x)\" y=\"\(Frame.bottom + 16)\" text-anchor=\"middle\">\(label(tick))</text>\n"
    }
    out += Frame.outline
    out += """
      <text x="\(Frame.centerX)" y="\(Frame.height - 12)" font-size="13" text-anchor="middle">step</text>
      <text transform="translate(18 \(Frame.centerY)) rotate(-90)" font-size="13" \
      text-anchor="middle">\(frame.logarithmic ? "loss (log scale)" : "loss")</text>

      """
    return out
  }

  /// A legend box in the top right corner of the plot area.
  private static func legendBox(_ entries: [(swatch: String, text: String)]) -> String {
    let x = Frame.right - 150
    var out = "<g class=\"legend\">\n"
    out += "<rect x=\"\(x)\" y=\"\(Frame.top + 8)\" width=\"140\" height=\"\(8 + 16 * entries.count)\" "
    out += "fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n"
    for (i, entry) in entries.enumerated() {
      out += "<g transform=\"translate(\(x + 8) \(Frame.top + 20 + 16 * i))\">\(entry.swatch)"
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
