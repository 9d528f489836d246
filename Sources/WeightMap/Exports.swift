// Raster's `Connectivity` is part of this module's API (the components of a
// binary mask); `import WeightMap` brings it, as before it moved to Raster.
@_exported import enum RasterCore.Connectivity
// The error of every invalid setting, one type across the modules.
@_exported import struct _Support.ConfigurationError
