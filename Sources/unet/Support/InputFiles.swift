import Raster

/// Expands command-line inputs into image files (see `ImageInputs.expand`).
func expandInputs(_ inputs: [String]) throws -> [String] { try ImageInputs.expand(inputs) }

/// A file's NAME: its file name without the extension.
func imageName(_ path: String) -> String { ImageInputs.name(of: path) }

/// Throws when two inputs would write to the same NAME.
func checkDistinctNames(_ files: [String]) throws { try ImageInputs.checkDistinctNames(files) }
