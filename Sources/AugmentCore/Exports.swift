// Raster's `Normalization` is part of this module's API (how sources become
// float32); `import Augment` brings it, as before it moved to Raster.
@_exported import enum RasterCore.Normalization
// The error of every invalid setting, one type across the modules.
@_exported import struct _Support.ConfigurationError
