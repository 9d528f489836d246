import Raster

/// The files a prediction of one image consists of, in one folder:
/// `NAME.prob.tiff` (float32 foreground probability; one page per class for
/// more than 2 classes, see ``ClassPlanes/probabilityPages(_:classes:)``),
/// `NAME.mask.png` (8-bit class per pixel) and `NAME.instances.png` (16-bit
/// instances, 0 = background). `unet predict` writes them, `unet eval` pairs
/// them with the truth (``pair(predictions:truth:)``) and `unet report`
/// reads them back.
///
/// NAME has one meaning here and everywhere an image file is named: the
/// file name without its extension (``ImageInputs/name(of:)``, as
/// ``SourcePair`` pairs images with labels): `12.png` → `12`, `a.b.png` →
/// `a.b`. A prediction file's NAME is its file name without the kind and the
/// extension (`a.b.prob.tiff` → `a.b`, kind ``Kind/probabilities``); a file
/// of no known kind (`a.tif`, `a.seg.png`) has the NAME of any image file
/// (`a`, `a.seg`). So the input `a.b.png` is predicted as `a.b.prob.tiff`,
/// `a.b.mask.png` and `a.b.instances.png`, which pair with the truth
/// `a.b.png`.
///
/// A volume's prediction is the same three files as multi-page TIFF
/// z-stacks (PNG holds one 2-D image): `NAME.prob.tiff` (float32, see
/// ``ClassPlanes/foreground(volumePages:depth:)``), `NAME.mask.tiff` (8-bit
/// class per voxel) and `NAME.instances.tiff` (32-bit instances), named by
/// ``path(_:volume:)`` and written by
/// ``writeVolume(planes:classes:mask:instances:)``.
public struct PredictionFiles: Sendable, Hashable {
  /// What a prediction file holds; the cases are in the order of preference
  /// when one NAME has several files.
  public enum Kind: String, Sendable, CaseIterable, Comparable {
    /// `NAME.prob.*`: the foreground probability, or class probabilities.
    case probabilities = "prob"
    /// `NAME.instances.*`: instance ids.
    case instances
    /// `NAME.mask.*`: the class of each pixel.
    case mask

    /// The extension of the file `unet predict` writes for an image.
    public var fileExtension: String { self == .probabilities ? "tiff" : "png" }

    /// The extension of the file written for a volume: always `tiff`.
    public var volumeFileExtension: String { "tiff" }

    public static func < (a: Kind, b: Kind) -> Bool {
      allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
  }

  /// The folder that holds the files.
  public var folder: String
  /// The NAME they share.
  public var name: String

  /// The prediction files of NAME `name` in `folder`.
  public init(folder: String, name: String) {
    self.folder = folder
    self.name = name
  }

  /// The prediction files of the image file `input` in `folder`.
  public init(folder: String, input: String) {
    self.init(folder: folder, name: ImageInputs.name(of: input))
  }

  /// The path of the file of `kind`: `FOLDER/NAME.KIND.EXT`, EXT the
  /// image's (``Kind/fileExtension``) or, for a volume, `tiff`.
  public func path(_ kind: Kind, volume: Bool = false) -> String {
    folder + "/" + name + "." + kind.rawValue + "." + (volume ? kind.volumeFileExtension : kind.fileExtension)
  }

  /// `FOLDER/NAME.prob.tiff`.
  public var probabilities: String { path(.probabilities) }
  /// `FOLDER/NAME.mask.png`.
  public var mask: String { path(.mask) }
  /// `FOLDER/NAME.instances.png`.
  public var instances: String { path(.instances) }
  /// A volume's `FOLDER/NAME.mask.tiff`.
  public var volumeMask: String { path(.mask, volume: true) }
  /// A volume's `FOLDER/NAME.instances.tiff`.
  public var volumeInstances: String { path(.instances, volume: true) }

  /// The NAME of a prediction file and its kind (nil for a file of no known
  /// kind): `x/a.b.prob.tiff` → (`a.b`, `.probabilities`), `x/a.tif` →
  /// (`a`, nil).
  public static func parse(_ path: String) -> (name: String, kind: Kind?) {
    let stem = ImageInputs.name(of: path)
    let name = ImageInputs.name(of: stem)
    guard name != stem, let kind = Kind(rawValue: String(stem.dropFirst(name.count + 1))) else { return (stem, nil) }
    return (name, kind)
  }
}
