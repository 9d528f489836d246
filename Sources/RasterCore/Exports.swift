// Types of the internal `_Support` module that belong to this module's API
// (`RasterError` is `FileError`; the synthesizers draw from `SplitMix64`).
@_exported import struct _Support.FileError
@_exported import struct _Support.SplitMix64
