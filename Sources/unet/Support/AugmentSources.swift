import Augment
import Foundation
import Raster
import Shards
import WeightMap

/// One source of `unet augment`: a normalised image and its instances.
struct Source: Sendable {
  var name: String
  var imagePath: String
  var labelsPath: String
  /// The image after normalisation.
  var image: Image<Float>
  /// Instance ids (a binary mask already split into components).
  var labels: LabelImage
  /// The source's weight map and mask, for `--weights warp`.
  var weights: Image<Float>?
  var mask: Image<UInt8>?
}

/// All sources of a run, with the class weights of the whole set.
struct SourceSet: Sendable {
  var items: [Source]
  var classWeights: ClassWeights
  var count: Int { items.count }

  /// Reads, checks and prepares every pair, in parallel; the first bad file
  /// (in pair order) is the error.
  static func load(
    _ pairs: [(name: String, image: String, labels: String)], normalization: Normalization, mapper: WeightMapper,
    warp: Bool, limits: ReadLimits, jobs: Int
  ) throws -> SourceSet {
    let slots = Slots<Source?>(count: pairs.count, initial: nil)
    let counts = Slots<ClassCounts>(count: pairs.count, initial: ClassCounts())
    let prepared = Slots<PreparedLabels?>(count: pairs.count, initial: nil)
    try parallelFor(pairs.count, jobs: jobs) { i in
      let pair = pairs[i]
      let raw = try ImageFile.read(pair.image, limits: limits)
      let labels = try ImageFile.read(pair.labels, limits: limits).labels(path: pair.labels)
      guard raw.width == labels.width, raw.height == labels.height else {
        throw RasterError(
          .unsupported, path: pair.labels,
          "is \(labels.width) x \(labels.height) but its image \(pair.image) is \(raw.width) x \(raw.height)")
      }
      let instances = InstanceLabels.normalize(labels, connectivity: mapper.parameters.connectivity)
      let p = mapper.prepare(instances)
      counts[i] = p.counts
      if warp { prepared[i] = p }
      slots[i] = Source(
        name: pair.name, imagePath: pair.image, labelsPath: pair.labels,
        image: normalization.apply(to: raw), labels: instances)
    }
    let classWeights = mapper.parameters.resolvedClassWeights(for: counts.values.reduce(ClassCounts(), +))
    var items = slots.values.map { $0! }
    if warp {
      try parallelFor(items.count, jobs: jobs) { i in
        let result = mapper.weights(for: prepared[i]!, classWeights: classWeights)
        slots[i]!.weights = result.weights
        slots[i]!.mask = result.mask
      }
      items = slots.values.map { $0! }
    }
    return SourceSet(items: items, classWeights: classWeights)
  }
}

/// Pairs images with labels by NAME (file name without extension). Two
/// single files pair with each other whatever their names.
func pairSources(images: String, labels: String) throws -> [(name: String, image: String, labels: String)] {
  let imageFiles = try expandInputs([images])
  let labelFiles = try expandInputs([labels])
  if imageFiles.count == 1 && labelFiles.count == 1 {
    return [(imageName(imageFiles[0]), imageFiles[0], labelFiles[0])]
  }
  try checkDistinctNames(imageFiles)
  try checkDistinctNames(labelFiles)
  let labelByName = Dictionary(uniqueKeysWithValues: labelFiles.map { (imageName($0), $0) })
  let imageNames = Set(imageFiles.map(imageName))
  for image in imageFiles where labelByName[imageName(image)] == nil {
    throw RasterError(.notFound, path: image, "has no labels named '\(imageName(image))' in \(labels)")
  }
  for label in labelFiles where !imageNames.contains(imageName(label)) {
    throw RasterError(.notFound, path: label, "has no image named '\(imageName(label))' in \(images)")
  }
  return imageFiles.map { (imageName($0), $0, labelByName[imageName($0)]!) }
}

/// Turns an augmented sample into the entries of one WebDataset sample.
struct SampleEncoder: Sendable {
  var seed: UInt64
  var keepLabels: Bool
  var sources: SourceSet

  struct Record: Encodable {
    var index: UInt64
    var seed: UInt64
    var source: String
    var sourceImage: String
    var sourceLabels: String
    var parameters: DrawnParameters
  }

  func encode(_ sample: AugmentedSample, draw: SampleDraw) throws -> ShardSample {
    let source = sources.items[draw.sourceIndex]
    let json = JSONEncoder()
    json.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let record = Record(
      index: draw.index, seed: seed, source: source.name, sourceImage: source.imagePath,
      sourceLabels: source.labelsPath, parameters: draw.parameters)
    var fields: [ShardSample.Field] = [
      .init(name: "image.npy", bytes: try ImageFile.encoded(AnyImage(sample.image), as: .npy, channelsFirst: true)),
      .init(name: "mask.png", bytes: try ImageFile.encoded(AnyImage(sample.mask), as: .png)),
    ]
    if keepLabels {
      fields.append(.init(name: "labels.npy", bytes: try ImageFile.encoded(AnyImage(sample.labels), as: .npy)))
    }
    fields.append(.init(name: "weight.npy", bytes: try ImageFile.encoded(AnyImage(sample.weights), as: .npy)))
    fields.append(.init(name: "json", bytes: Array(try json.encode(record)) + [0x0A]))
    return try ShardSample(key: String(format: "%08llu", draw.index), fields: fields)
  }
}

/// Panels of the `--preview` picture.
enum PreviewPanels {
  /// The first channel (or the first three as RGB), [0, 1] → 0...255, clamped.
  static func gray(_ image: Image<Float>) -> Image<UInt8> {
    var rgb = [UInt8](repeating: 0, count: image.pixelCount * 3)
    for p in 0..<image.pixelCount {
      for c in 0..<3 {
        let v = image.samples[p * image.channels + (image.channels >= 3 ? c : 0)]
        rgb[3 * p + c] = UInt8((min(max(v.isNaN ? 0 : v, 0), 1) * 255).rounded())
      }
    }
    return Image(width: image.width, height: image.height, channels: 3, samples: rgb)
  }

  /// Class 0 black, class 1 white.
  static func mask(_ mask: Image<UInt8>) -> Image<UInt8> {
    Image(width: mask.width, height: mask.height, channels: 3, samples: mask.samples.flatMap { v in
      let g: UInt8 = v == 0 ? 0 : 255
      return [g, g, g]
    })
  }

  /// Panels side by side, rows one below the other, 4 px gaps.
  static func grid(_ rows: [[Image<UInt8>]], gap: Int = 4) -> Image<UInt8> {
    let cellW = rows.flatMap { $0 }.map(\.width).max() ?? 1
    let cellH = rows.flatMap { $0 }.map(\.height).max() ?? 1
    let columns = rows.map(\.count).max() ?? 1
    let width = columns * cellW + (columns - 1) * gap
    let height = rows.count * cellH + (rows.count - 1) * gap
    var out = Image<UInt8>(width: width, height: height, channels: 3, repeating: 255)
    for (r, row) in rows.enumerated() {
      for (c, panel) in row.enumerated() {
        for y in 0..<panel.height {
          for x in 0..<panel.width {
            for ch in 0..<3 { out[c * (cellW + gap) + x, r * (cellH + gap) + y, ch] = panel[x, y, ch] }
          }
        }
      }
    }
    return out
  }
}
