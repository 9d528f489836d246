#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import Foundation

/// Lists of image files as a user names them: files, folders and patterns.
public enum ImageInputs {
  /// Expands inputs into image files: a file stands for itself, a folder
  /// for the PNG/TIFF/NPY files directly inside it (sorted by name), and a
  /// pattern with `*`, `?` or `[` for its matches (glob(3), sorted).
  ///
  /// - Throws: ``RasterError`` `.notFound` for a pattern that matches
  ///   nothing or a folder with no image files. A path that names nothing
  ///   is passed through, to be reported when it is read.
  public static func expand(_ inputs: [String]) throws -> [String] {
    var files: [String] = []
    for input in inputs {
      var isDir: ObjCBool = false
      if FileManager.default.fileExists(atPath: input, isDirectory: &isDir) {
        if isDir.boolValue {
          let names = (try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []
          let images = names.filter { !$0.hasPrefix(".") && (try? ImageFormat(path: $0)) != nil }.sorted()
          guard !images.isEmpty else {
            throw RasterError(.notFound, path: input, "folder holds no .png, .tif, .tiff or .npy files")
          }
          let base = input.hasSuffix("/") ? input : input + "/"
          files += images.map { base + $0 }
        } else {
          files.append(input)
        }
      } else if input.contains(where: { "*?[".contains($0) }) {
        let matches = glob(input)
        guard !matches.isEmpty else { throw RasterError(.notFound, path: input, "pattern matches no file") }
        files += matches
      } else {
        files.append(input)  // reported as missing when read
      }
    }
    return files
  }

  private static func glob(_ pattern: String) -> [String] {
    var result = glob_t()
    defer { globfree(&result) }
    #if canImport(Glibc)
      guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
    #else
      guard Darwin.glob(pattern, 0, nil, &result) == 0 else { return [] }
    #endif
    return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
  }

  /// A file's NAME: its file name without the extension (`12.png` → `12`,
  /// `a.labels.tif` → `a.labels`).
  public static func name(of path: String) -> String {
    let file = path.split(separator: "/").last.map(String.init) ?? path
    guard let dot = file.lastIndex(of: "."), dot != file.startIndex else { return file }
    return String(file[..<dot])
  }

  /// Throws when two files have the same NAME (their outputs would collide).
  public static func checkDistinctNames(_ files: [String]) throws {
    var seen: [String: String] = [:]
    for f in files {
      let name = name(of: f)
      if let other = seen[name] {
        throw RasterError(.unsupported, path: f, "has the same name '\(name)' as \(other); outputs would collide")
      }
      seen[name] = f
    }
  }
}
