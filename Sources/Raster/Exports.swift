// Types of the internal `_Support` module that belong to this module's API:
// `import Raster` brings them, as before they moved there.
@_exported import enum _Support.AtomicFile
@_exported import struct _Support.FileError
@_exported import struct _Support.SplitMix64
// Images, volumes, labels and normalisation live in `RasterCore`, which
// builds without the codecs; `import Raster` brings them with the files.
@_exported import RasterCore
