// `_Support`'s `FileError` is part of this module's API: checkpoints,
// weights files, safetensors and metrics logs report file problems with it.
@_exported import struct _Support.FileError
