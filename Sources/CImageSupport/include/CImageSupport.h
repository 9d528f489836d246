/*
 * CImageSupport: the few C functions between Swift and libpng / libtiff.
 *
 * Why C at all: libpng reports errors by longjmp, which must never cross a
 * Swift frame, and libtiff's field accessors and error handlers are
 * variadic. Every function here catches the library's errors itself and
 * returns a CISStatus; on failure it writes a one-line, NUL-terminated
 * reason into the caller's `message` buffer (`capacity` bytes, at least
 * CIS_MESSAGE_CAPACITY recommended). Nothing is ever printed: libpng and
 * libtiff warnings are swallowed and their errors captured.
 *
 * Pixel buffers are always interleaved, row-major, samples in host byte
 * order: sample (x, y, c) of a `width` x `height` x `channels` image is at
 * index (y * width + x) * channels + c.
 *
 * This header includes neither png.h nor tiffio.h, so Swift sees only the
 * declarations below.
 */
#ifndef CIMAGESUPPORT_H
#define CIMAGESUPPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__has_attribute)
#if __has_attribute(enum_extensibility)
#define CIS_CLOSED_ENUM __attribute__((enum_extensibility(closed)))
#endif
#endif
#ifndef CIS_CLOSED_ENUM
#define CIS_CLOSED_ENUM
#endif

/** Size of the message buffers the caller should pass. */
#define CIS_MESSAGE_CAPACITY 512

/** The outcome of every CImageSupport call. */
typedef enum CIS_CLOSED_ENUM CISStatus {
  /** The call succeeded. */
  CISStatusSuccess = 0,
  /** cis_tiff_next_page: the current page was the last one. */
  CISStatusEndOfPages = 1,
  /** The data ends before the file's structure says it should. */
  CISStatusTruncated = 2,
  /** The bytes are not a valid file (signature, checksum, structure). */
  CISStatusCorrupt = 3,
  /** A valid file or request that this layer does not handle. */
  CISStatusUnsupported = 4,
  /** The header claims more pixels than the caller's limit. */
  CISStatusTooLarge = 5,
  /** The operating system refused an open, read or write. */
  CISStatusIO = 6,
  /** An allocation failed. */
  CISStatusNoMemory = 7,
} CISStatus;

/** Frees memory returned by this library (cis_png_encode's output). */
void cis_free(void *pointer);

/* MARK: - PNG */

/** An opened PNG being decoded; see cis_png_reader_open. */
typedef struct cis_png_reader cis_png_reader;

/** A PNG's size and its samples as cis_png_reader_read delivers them. */
typedef struct cis_png_header {
  uint32_t width;
  uint32_t height;
  /** Channels after expansion: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  uint32_t channels;
  /** Bits per delivered sample: 8 or 16 (palette and low depths become 8). */
  uint32_t bit_depth;
} cis_png_header;

/**
 * Parses a PNG's header from memory, up to its first image data.
 *
 * Palette images expand to RGB, gray below 8 bits to 8 bits, a tRNS chunk to
 * an alpha channel; 16-bit samples are delivered in host byte order.
 * Interlaced images are deinterlaced.
 *
 * `data` must stay valid until cis_png_reader_close. Images whose
 * width x height exceeds `max_pixels` are rejected with CISStatusTooLarge
 * before any pixel memory is allocated; `header` then holds the claimed
 * size (zeros when one side alone was over the limit: libpng's per-side
 * user limits, set to `max_pixels`, stop such files inside IHDR). On success `*reader` must be closed with
 * cis_png_reader_close; on failure it is NULL.
 */
CISStatus cis_png_reader_open(const uint8_t *data, size_t size, uint64_t max_pixels,
                              cis_png_reader **reader, cis_png_header *header,
                              char *message, size_t capacity);

/**
 * Decodes the whole image into `pixels`, which must hold exactly
 * width * height * channels * bit_depth / 8 bytes (`byte_count`), then
 * reads the rest of the file to check its checksums.
 */
CISStatus cis_png_reader_read(cis_png_reader *reader, void *pixels, size_t byte_count,
                              char *message, size_t capacity);

/** Releases a reader; NULL is allowed. */
void cis_png_reader_close(cis_png_reader *reader);

/**
 * Encodes an image as PNG in memory.
 *
 * `channels` 1 to 4 (gray, gray+alpha, RGB, RGBA), `bit_depth` 8 or 16
 * (16-bit samples in host byte order), `pixels` holding
 * width * height * channels * bit_depth / 8 bytes. On success `*output`
 * (free it with cis_free) holds `*output_size` bytes.
 */
CISStatus cis_png_encode(const void *pixels, uint32_t width, uint32_t height,
                         uint32_t channels, uint32_t bit_depth,
                         uint8_t **output, size_t *output_size,
                         char *message, size_t capacity);

/* MARK: - TIFF */

/** An open TIFF file, for reading or for writing. */
typedef struct cis_tiff cis_tiff;

/** TIFF SampleFormat values (tag 339). */
enum {
  CISTIFFSampleUInt = 1,
  CISTIFFSampleInt = 2,
  CISTIFFSampleFloat = 3,
  CISTIFFSampleVoid = 4,
  CISTIFFSampleComplexInt = 5,
  CISTIFFSampleComplexFloat = 6,
};

/** TIFF Photometric values (tag 262) this layer distinguishes. */
enum {
  CISTIFFPhotometricMinIsWhite = 0,
  CISTIFFPhotometricMinIsBlack = 1,
  CISTIFFPhotometricRGB = 2,
  CISTIFFPhotometricPalette = 3,
  CISTIFFPhotometricMask = 4,
  CISTIFFPhotometricSeparated = 5,
  CISTIFFPhotometricYCbCr = 6,
};

/** Compressions cis_tiff_write_page offers. */
typedef enum CIS_CLOSED_ENUM CISTIFFCompression {
  CISTIFFCompressionNone = 0,
  CISTIFFCompressionLZW = 1,
  CISTIFFCompressionDeflate = 2,
} CISTIFFCompression;

/** The fields of the current page that decide how it is read. */
typedef struct cis_tiff_page_info {
  uint32_t width;
  uint32_t height;
  uint32_t samples_per_pixel;
  uint32_t bits_per_sample;
  /** One of CISTIFFSample*. */
  uint32_t sample_format;
  /** 1 contiguous (interleaved), 2 separate planes. */
  uint32_t planar_config;
  /** One of CISTIFFPhotometric* (or another TIFF value). */
  uint32_t photometric;
  /** The TIFF Compression value (1 none, 5 LZW, 8 Deflate, ...). */
  uint32_t compression;
  /** 1 if the page is stored in tiles, 0 for strips. */
  uint32_t tiled;
  /** XResolution and YResolution (pixels per unit), 0 where absent. */
  double x_resolution;
  double y_resolution;
  /** The TIFF ResolutionUnit value (1 none, 2 inch, 3 centimeter). */
  uint32_t resolution_unit;
} cis_tiff_page_info;

/**
 * Opens `path` for reading, positioned on its first page.
 *
 * `max_single_allocation` caps any one allocation libtiff makes for the
 * file, and this layer's tile buffers (bytes; 0: no cap). On success `*tiff` must be closed with
 * cis_tiff_close; on failure it is NULL.
 */
CISStatus cis_tiff_open_read(const char *path, uint64_t max_single_allocation,
                             cis_tiff **tiff, char *message, size_t capacity);

/** Describes the current page. */
CISStatus cis_tiff_page(cis_tiff *tiff, cis_tiff_page_info *info,
                        char *message, size_t capacity);

/**
 * Decodes the current page into `pixels` as interleaved samples in host
 * byte order: strips or tiles, contiguous or separate planes, with any
 * compression libtiff decodes. `byte_count` must be exactly
 * width * height * samples_per_pixel * bits_per_sample / 8, and
 * bits_per_sample 8, 16 or 32. Photometric YCbCr is refused.
 */
CISStatus cis_tiff_read_page(cis_tiff *tiff, void *pixels, size_t byte_count,
                             char *message, size_t capacity);

/**
 * The current page's ImageDescription (tag 270), NUL-terminated and cut to
 * `capacity` - 1 bytes, in `text`; an empty string when the page has none.
 * `*length` is the description's full length (without the NUL).
 */
CISStatus cis_tiff_description(cis_tiff *tiff, char *text, size_t text_capacity, size_t *length,
                               char *message, size_t capacity);

/**
 * The number of pages (directories) of the file, counted without reading
 * any pixels; stops counting past `limit` (then `*count` is `limit` + 1).
 * The current page stays where it was.
 */
CISStatus cis_tiff_page_count(cis_tiff *tiff, uint32_t limit, uint32_t *count,
                              char *message, size_t capacity);

/**
 * Moves to the next page: CISStatusSuccess, or CISStatusEndOfPages when
 * the current page is the last.
 */
CISStatus cis_tiff_next_page(cis_tiff *tiff, char *message, size_t capacity);

/**
 * Creates `path` (which must not exist) for writing; `big` selects
 * BigTIFF, needed past 4 GiB. Finish with cis_tiff_finish_write, or
 * abandon with cis_tiff_close (the caller then removes the file).
 */
CISStatus cis_tiff_open_write(const char *path, int big, cis_tiff **tiff,
                              char *message, size_t capacity);

/** One page for cis_tiff_write_page. */
typedef struct cis_tiff_page_spec {
  uint32_t width;
  uint32_t height;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  uint32_t samples_per_pixel;
  /** 8, 16 or 32. */
  uint32_t bits_per_sample;
  /** CISTIFFSampleUInt, CISTIFFSampleInt or CISTIFFSampleFloat. */
  uint32_t sample_format;
  CISTIFFCompression compression;
  /** This page's index and the stack's page count (PageNumber tag). */
  uint32_t page_index;
  uint32_t page_count;
  /** ImageDescription (NUL-terminated ASCII), or NULL for none. */
  const char *description;
  /** XResolution and YResolution (pixels per unit) with ResolutionUnit
      none, or 0 to write no resolution. */
  double x_resolution;
  double y_resolution;
} cis_tiff_page_spec;

/**
 * Appends one page: strips of about 64 KiB, no predictor,
 * MinIsBlack (RGB for 3 and 4 samples, unassociated alpha as extra sample
 * for 2 and 4), SampleFormat set, for stacks NewSubfileType 0 with
 * PageNumber, and the spec's description and resolution where given. `pixels` holds `byte_count` bytes, as the spec says; it is
 * not modified.
 */
CISStatus cis_tiff_write_page(cis_tiff *tiff, const cis_tiff_page_spec *spec,
                              const void *pixels, size_t byte_count,
                              char *message, size_t capacity);

/** Completes a written file and releases `tiff`, whatever the outcome. */
CISStatus cis_tiff_finish_write(cis_tiff *tiff, char *message, size_t capacity);

/** Releases `tiff` (reader, or abandoned writer); NULL is allowed. */
void cis_tiff_close(cis_tiff *tiff);

#ifdef __cplusplus
}
#endif

#endif /* CIMAGESUPPORT_H */
