// The augmentation itself (drawing, sampling maps, resampling, the
// per-sample pipeline) lives in `AugmentCore`, which builds without the
// file formats; this module adds datasets of shards. `import Augment`
// brings both.
@_exported import AugmentCore
