import Foundation
import Testing
import _TestSupport

#if canImport(FoundationXML)
  import FoundationXML
#endif

@testable import UNet

@Suite("LossPlot: SVG structure, ticks, edge cases")
struct LossPlotTests {
  /// The elements of an SVG document, parsed as XML.
  final class Elements: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var texts: [String] = []
    private var text = ""

    /// Parses `svg`; records an issue when it is not well-formed XML.
    init(_ svg: String, height: String = "400", sourceLocation: SourceLocation = #_sourceLocation) {
      super.init()
      let parser = XMLParser(data: Data(svg.utf8))
      parser.delegate = self
      #expect(parser.parse(), "not well-formed: \(String(describing: parser.parserError))", sourceLocation: sourceLocation)
      #expect(elements.first?.name == "svg", sourceLocation: sourceLocation)
      #expect(
        elements.first?.attributes["width"] == "640" && elements.first?.attributes["height"] == height,
        sourceLocation: sourceLocation)
    }

    func parser(
      _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
      attributes: [String: String] = [:]
    ) {
      elements.append((name, attributes))
      text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
      if name == "text" { texts.append(text) }
      text = ""
    }

    func all(_ name: String, class kind: String? = nil) -> [[String: String]] {
      elements.filter { $0.name == name && (kind == nil || $0.attributes["class"] == kind) }.map(\.attributes)
    }

    /// The number of x,y pairs of the polyline of class `kind`, or nil.
    func points(_ kind: String) -> Int? {
      all("polyline", class: kind).first.map { $0["points"]!.split(separator: " ").count }
    }
  }

  static func run(steps: Int, loss: (Int) -> Double) -> [MetricsRecord] {
    (1...steps).map { MetricsRecord(step: $0, loss: loss($0), seconds: 1) }
  }

  @Test func trainingLineAverageAndValidationDots() throws {
    var records = Self.run(steps: 200) { 0.7 - 0.3 * Double($0) / 200 }
    records += [50, 100, 150, 200].map { MetricsRecord(step: $0, validationLoss: 0.5) }
    let svg = Elements(LossPlot.svg(records, title: "run <7> & co"))
    #expect(svg.points("training") == 200)
    #expect(svg.points("average") == 200)
    #expect(svg.all("circle", class: "validation").count == 4)
    #expect(svg.texts.contains("run <7> & co"))
    #expect(svg.texts.contains("step") && svg.texts.contains("loss"))
    #expect(svg.texts.contains("mean of 4 steps") && svg.texts.contains("validation loss"))
    // Linear axis: 0.4 to 0.7 in steps of 0.05; x axis 0 to 200 in steps of 50.
    for label in ["0.4", "0.45", "0.5", "0.55", "0.6", "0.65", "0.7", "0", "50", "100", "150", "200"] {
      #expect(svg.texts.contains(label), "tick \(label)")
    }
    // Every point lies inside the plot area.
    for pair in svg.all("polyline", class: "training")[0]["points"]!.split(separator: " ") {
      let xy = pair.split(separator: ",").map { Double($0)! }
      #expect((72...620).contains(xy[0]) && (44...344).contains(xy[1]), "\(pair)")
    }
  }

  /// Validation scores add a chart of the errors against the training
  /// minutes below the loss chart.
  @Test func validationErrorsAgainstTrainingMinutes() {
    var records = (1...100).map { MetricsRecord(step: $0, loss: 1 / Double($0), seconds: 3, elapsed: 3 * Double($0)) }
    records += [25, 50, 75, 100].map {
      MetricsRecord(
        step: $0, elapsed: 3 * Double($0), validationLoss: 0.4, validationPixelError: 0.1,
        validationRandError: 0.8 / Double($0 / 25), validationRandErrorThreshold: 0.45)
    }
    // A line of an older version without elapsed time is not drawn there.
    records.append(MetricsRecord(step: 100, validationRandError: 0.01))
    let svg = Elements(LossPlot.svg(records, title: "t"), height: "730")
    #expect(svg.points("rand-error") == 4 && svg.points("pixel-error") == 4)
    #expect(svg.all("circle", class: "rand-error").count == 4)
    #expect(svg.texts.contains("training minutes") && svg.texts.contains("Rand error") && svg.texts.contains("pixel error"))
    #expect(svg.texts.contains("validation error against training time"))
    // x: 1.25 to 5 minutes on a 0 to 5 axis; y: 0 to 0.8.
    for label in ["0", "1", "2", "5", "0.8"] { #expect(svg.texts.contains(label), "tick \(label)") }
    let xs = svg.all("polyline", class: "rand-error")[0]["points"]!.split(separator: " ").map {
      $0.split(separator: ",").map { Double($0)! }
    }
    // 5 minutes at the right edge; 0.8 drawn above 0.2 (a smaller y).
    #expect(xs.last![0] == 620 && xs.allSatisfy { (444...674).contains($0[1]) })
    #expect(xs[0][1] < xs[3][1])
    // Without validation errors the loss chart stands alone.
    _ = Elements(LossPlot.svg(Array(records.prefix(100)), title: "t"), height: "400")
  }

  @Test func nonFiniteLossesAreSkipped() {
    var records = Self.run(steps: 10) { 1 / Double($0) }
    records[3].loss = .nan
    records[6].loss = .infinity
    records[8].loss = -.infinity
    records.append(MetricsRecord(step: 10, validationLoss: .nan))
    let svg = Elements(LossPlot.svg(records, title: "t"))
    #expect(svg.points("training") == 7)
    #expect(svg.points("average") == 7)
    #expect(svg.all("circle", class: "validation").isEmpty)
    #expect(!svg.texts.contains("validation loss"))
  }

  @Test func logarithmicAxisBeyondAFactorOf20() {
    let svg = Elements(LossPlot.svg(Self.run(steps: 100) { 0.7 * pow(0.95, Double($0)) }, title: "t"))
    // 0.7·0.95^100 ≈ 0.0041: ticks 0.002 to 1, decades and ends.
    #expect(svg.texts.contains("loss (log scale)"))
    for label in ["0.002", "0.01", "0.1", "1"] { #expect(svg.texts.contains(label), "tick \(label)") }
    #expect(!svg.texts.contains("0.5"))

    let narrow = Elements(LossPlot.svg(Self.run(steps: 100) { 0.7 * pow(0.975, Double($0)) }, title: "t"))
    #expect(narrow.texts.contains("loss"))
    #expect(!narrow.texts.contains("loss (log scale)"))
  }

  @Test func edgeCases() {
    let empty = Elements(LossPlot.svg([], title: "nothing"))
    #expect(empty.texts.contains("no steps yet"))
    #expect(empty.all("polyline").isEmpty)

    let unplottable = Elements(LossPlot.svg([MetricsRecord(step: 1, loss: .nan)], title: "t"))
    #expect(unplottable.texts.contains("no finite loss values"))

    let one = Elements(LossPlot.svg([MetricsRecord(step: 1, loss: 0.69)], title: "t"))
    #expect(one.points("training") == 1 && one.points("average") == 1)
    #expect(one.all("circle", class: "training").count == 1)
    #expect(one.texts.contains("mean of 1 step"))

    let constant = Elements(LossPlot.svg(Self.run(steps: 30) { _ in 0.5 }, title: "t"))
    #expect(constant.points("training") == 30)
    #expect(constant.texts.contains("0.5") && constant.texts.contains("0.46") && constant.texts.contains("0.54"))

    let zero = Elements(LossPlot.svg(Self.run(steps: 3) { _ in 0 }, title: "t"))
    #expect(zero.texts.contains("-1") && zero.texts.contains("1"))

    let control = Elements(LossPlot.svg([], title: "a\u{1}b\tc"))
    #expect(control.texts.contains("ab c"))
  }

  @Test func linearTicksFollowOneTwoFive() {
    #expect(LossPlot.linearTicks(0, 1, integers: false) == [0, 0.2, 0.4, 0.6, 0.8, 1])
    #expect(LossPlot.linearTicks(0.3, 0.72, integers: false) == [0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    #expect(LossPlot.linearTicks(0.4, 0.7, integers: false) == [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7])
    #expect(LossPlot.linearTicks(1, 1000, integers: true) == [0, 200, 400, 600, 800, 1000])
    #expect(LossPlot.linearTicks(1, 3, integers: true) == [1, 2, 3])
    #expect(LossPlot.linearTicks(1, 1, integers: true) == [0, 1, 2])
    #expect(LossPlot.linearTicks(120, 48_000, integers: true) == [0, 10_000, 20_000, 30_000, 40_000, 50_000])
    // A single value is widened by 10%: 0.62379…0.76241 in steps of 0.02.
    #expect(LossPlot.linearTicks(0.6931, 0.6931, integers: false) == [0.62, 0.64, 0.66, 0.68, 0.7, 0.72, 0.74, 0.76, 0.78])
    #expect(LossPlot.linearTicks(0, 0, integers: false) == [-1, -0.5, 0, 0.5, 1])
    #expect(LossPlot.linearTicks(-3, 2, integers: false) == [-3, -2, -1, 0, 1, 2])
  }

  @Test func logTicksFollowOneTwoFive() {
    #expect(LossPlot.logTicks(0.05, 2) == [0.05, 0.1, 0.2, 0.5, 1, 2])
    #expect(LossPlot.logTicks(0.07, 3) == [0.05, 0.1, 0.2, 0.5, 1, 2, 5])
    #expect(LossPlot.logTicks(0.001, 10) == [0.001, 0.01, 0.1, 1, 10])
    #expect(LossPlot.logTicks(0.03, 7) == [0.02, 0.1, 1, 10])
    #expect(LossPlot.logTicks(3, 700) == [2, 10, 100, 1000])
  }

  @Test func movingAverageIsTrailingMean() {
    let points = [1.0, 3, 5, 7].enumerated().map { LossPlot.Point(x: Double($0.offset), y: $0.element) }
    #expect(LossPlot.movingAverage(points, window: 2).map(\.y) == [1, 2, 4, 6])
    #expect(LossPlot.movingAverage(points, window: 1).map(\.y) == [1, 3, 5, 7])
    #expect(LossPlot.movingAverage(points, window: 10).map(\.y) == [1, 2, 3, 4])
  }

  @Test func writeIsAtomic() throws {
    let dir = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let records = Self.run(steps: 5) { 1 / Double($0) }
    try LossPlot.write(records, title: "t", to: dir + "/loss.svg")
    #expect(try String(contentsOfFile: dir + "/loss.svg", encoding: .utf8) == LossPlot.svg(records, title: "t"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["loss.svg"])
    #expect(throws: FileError.self) { try LossPlot.write(records, title: "t", to: dir + "/missing/loss.svg") }
  }
}
