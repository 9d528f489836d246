// Raster's `Connectivity` is part of this module's API (the components of a
// binary mask); `import WeightMap` brings it, as before it moved to Raster.
@_exported import enum RasterCore.Connectivity
