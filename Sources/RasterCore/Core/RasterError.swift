import _Support

/// A failure to read or write an image file: what failed, why, and where
/// (`code`, `reason`, `path`).
///
/// `description` is one line, `PATH: REASON`, fit for a command-line error.
/// It is the `FileError` of every UNetKit file, under the name image code
/// has always used.
public typealias RasterError = FileError
