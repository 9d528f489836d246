// `_Support`'s `FileError` is part of this module's API: checkpoints,
// weights files, safetensors and metrics logs report file problems with it.
@_exported import struct _Support.FileError
// The error of every invalid setting, one type across the modules.
@_exported import struct _Support.ConfigurationError
