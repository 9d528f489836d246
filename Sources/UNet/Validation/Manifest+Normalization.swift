import Foundation
import Raster
import Shards

extension Manifest {
  /// The image normalisation the dataset was written with
  /// (`parameters.augment.normalization`), or nil when it names none.
  /// - Throws: `ShardError` when the value is not a normalisation; `path`
  ///   names the manifest in the error.
  public func normalization(path: String) throws -> Normalization? {
    try configuration["augment"]?["normalization"].map { value in
      do {
        return try JSONDecoder().decode(Normalization.self, from: Data(value.serialized(indent: 0).utf8))
      } catch {
        throw ShardError(
          .invalidManifest, path: path, "parameters.augment.normalization \(value.serialized(indent: 0)) is not a normalisation")
      }
    }
  }
}
