/* The C interface of UNetKit's compute code: weight maps, separation and
 * elastic deformation of plain arrays, for Python (ctypes) and other C
 * callers. Arrays are C-ordered and contiguous: (height, width) images,
 * (depth, height, width) volumes. Every function returns UNETKIT_OK or an
 * error code and writes a one-line message (NUL-terminated, truncated to
 * `message_capacity` bytes) into `message`. No function keeps a pointer
 * after it returns (but for the handle of unetkit_augmenter_create), and
 * every function may be called from several threads at once. */
#ifndef UNETKIT_H
#define UNETKIT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  UNETKIT_OK = 0,
  /* A value out of its range: σ < 0, a shape with a 0 side, … */
  UNETKIT_INVALID_ARGUMENT = 1,
  /* An array larger than the limits (2^31 - 1 elements, 2^31 - 1 per side). */
  UNETKIT_TOO_LARGE = 2,
};

/* Class weights w_c of unetkit_weight_map. */
enum {
  UNETKIT_CLASS_WEIGHTS_BALANCED = 0, /* N / (K N_k) from the array's own counts */
  UNETKIT_CLASS_WEIGHTS_UNIFORM = 1,  /* w_c = 1 */
  UNETKIT_CLASS_WEIGHTS_EXPLICIT = 2, /* the given background, foreground pair */
};

/* Kinds of arrays of unetkit_elastic. */
enum {
  UNETKIT_FLOAT32 = 0, /* interpolated with its order (3 cubic, 1 linear, 0 nearest) */
  UNETKIT_UINT32 = 1,  /* labels: nearest only, ids kept */
};

/* Border rules of unetkit_elastic. */
enum {
  UNETKIT_BORDER_MIRROR = 0,
  UNETKIT_BORDER_CONSTANT = 1,
  UNETKIT_BORDER_NEAREST = 2,
};

/* The version of this interface (1). */
int32_t unetkit_abi_version(void);

/* The U-Net weight map w = w_c + w0 exp(-(d1 + d2)^2 / 2 sigma^2) and the
 * class mask of instance labels, as `unet weights` computes them.
 *
 * labels: `ndim` (2 or 3) dimensions of `shape`; 0 is background. A binary
 *   mask (values within {0, 1} or {0, 255}) becomes instances by connected
 *   components (connectivity 4: 4 or 6 neighbours, 8: 8 or 26).
 * spacing: (z, y, x) for volumes, or NULL for (1, 1, 1); ignored in 2-D.
 * separate: nonzero to clear the pixels that touch another instance first.
 * weights, mask, instances (may be NULL): outputs of the labels' size. */
int32_t unetkit_weight_map(
    const uint32_t *labels, int32_t ndim, const int64_t *shape,
    double w0, double sigma, int32_t class_weights, double background_weight,
    double foreground_weight, int32_t separate, int32_t connectivity,
    const double *spacing, float *weights, uint8_t *mask, uint32_t *instances,
    char *message, int64_t message_capacity);

/* Instance labels with every pixel that touches another instance cleared
 * (the paper's Fig. 3c); a binary mask is split into connected components
 * first. */
int32_t unetkit_separate(
    const uint32_t *labels, int32_t ndim, const int64_t *shape,
    int32_t connectivity, uint32_t *instances,
    char *message, int64_t message_capacity);

/* One random elastic and affine deformation, drawn once from `seed`,
 * applied to `count` arrays of the same `shape` (2-D or 3-D).
 *
 * kinds[i]: UNETKIT_FLOAT32 or UNETKIT_UINT32; orders[i]: 3, 1 or 0 (must
 * be 0 for UINT32). inputs[i] and outputs[i] hold the arrays.
 * sigma: the displacements' standard deviation in pixels (on every axis);
 * grid: control points per axis (2 to 1024); rotate: the angle is uniform
 * in [-rotate, rotate] degrees (0 to 180); shift: uniform in [-shift,
 * shift] pixels per axis; flip: nonzero to mirror each axis with
 * probability 1/2; scale_low <= scale_high, or both 1 for none; border:
 * UNETKIT_BORDER_*. The draw is the one `unet augment` makes for these
 * settings from SplitMix64(seed). */
int32_t unetkit_elastic(
    int32_t ndim, const int64_t *shape, int32_t count, const int32_t *kinds,
    const int32_t *orders, const void *const *inputs, void *const *outputs,
    double sigma, int32_t grid, double rotate, double shift, int32_t flip,
    double scale_low, double scale_high, int32_t border, uint64_t seed,
    char *message, int64_t message_capacity);

/* Sample types of the source images of unetkit_augmenter_create. */
enum {
  UNETKIT_IMAGE_UINT8 = 0,
  UNETKIT_IMAGE_UINT16 = 1,
  UNETKIT_IMAGE_UINT32 = 2,
  UNETKIT_IMAGE_INT32 = 3,
  UNETKIT_IMAGE_FLOAT32 = 4,
};

/* The samples of `unet augment` for a set of sources, made one at a time.
 *
 * `count` sources: image i has shape shapes[i*ndim ...] (2-D: height,
 * width; 3-D: depth, height, width) with channels[i] interleaved channels
 * (1 to 4, images only; NULL for 1) of sample type image_types[i]; labels
 * i (uint32 instance ids or a binary mask) has the same shape and one
 * channel. options_json is a JSON object with the options of `unet
 * augment` in snake case, each optional: seed, grid, elastic_sigma,
 * elastic_sigma_z, rotate, shift, flip, scale [a, b], interpolation
 * ("cubic", "linear"), border, intensity (false: --no-intensity),
 * brightness, contrast, gamma, noise ([a, b]), normalize ("percentile",
 * "range", "none"), weights ("recompute", "warp"), weight_sigma, w0,
 * class_weights ("balanced", null, [w0, w1]), class_weights_scope
 * ("dataset", "image"), separate, connectivity (4, 8), spacing [z, y, x].
 * The arrays are copied; *augmenter receives a handle for the calls below,
 * to be released with unetkit_augmenter_free. */
int32_t unetkit_augmenter_create(
    int32_t ndim, int32_t count, const int64_t *shapes, const int32_t *channels,
    const int32_t *image_types, const void *const *images,
    const uint32_t *const *labels, const char *options_json, void **augmenter,
    char *message, int64_t message_capacity);

/* The source that sample `index` is made from (its outputs have that
 * source's shape); -1 for a NULL handle. */
int32_t unetkit_augmenter_source(const void *augmenter, uint64_t index);

/* Sample `index` as `unet augment` writes it: the normalised, deformed,
 * gray-value varied float32 image (several channels planar, (C, H, W), as
 * in image.npy),
 * the uint8 class mask, the uint32 labels and the float32 weight map. Any
 * output may be NULL. The handle may be used from several threads. */
int32_t unetkit_augmenter_sample(
    const void *augmenter, uint64_t index, float *image, uint8_t *mask,
    uint32_t *labels, float *weights, char *message, int64_t message_capacity);

void unetkit_augmenter_free(void *augmenter);

#ifdef __cplusplus
}
#endif

#endif /* UNETKIT_H */
