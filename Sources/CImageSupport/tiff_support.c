/*
 * TIFF through libtiff 4.5: per-handle error handlers (TIFFOpenExt options),
 * so nothing goes to stderr and every message lands with its handle; the
 * variadic TIFFGetField / TIFFSetField calls stay in C.
 */
#define _POSIX_C_SOURCE 200809L /* pread, strdup, O_CLOEXEC */

#include "CImageSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

struct cis_tiff {
  TIFF *tif;
  /** A copy of the path, left out of libtiff's messages (it names the file
      itself, and for writes it is a temporary name). */
  char *path;
  /** Reading: the file's size, to tell truncation from corruption. */
  uint64_t file_size;
  /** Reading: the largest buffer this layer allocates besides the pixels. */
  uint64_t max_allocation;
  /** libtiff's first error since the current call began. */
  char libtiff_message[CIS_MESSAGE_CAPACITY];
  int has_message;
};

/* MARK: - Messages */

/** libtiff error handler (per handle): keeps the first error, prints nothing. */
static int on_tiff_error(TIFF *tif, void *user_data, const char *module,
                         const char *format, va_list args) {
  (void)tif;
  cis_tiff *t = (cis_tiff *)user_data;
  if (t == NULL || t->has_message) return 1;
  size_t used = 0;
  if (module != NULL && module[0] != '\0' && (t->path == NULL || strcmp(module, t->path) != 0)) {
    int n = snprintf(t->libtiff_message, sizeof t->libtiff_message, "%s: ", module);
    if (n > 0) used = (size_t)n < sizeof t->libtiff_message ? (size_t)n : sizeof t->libtiff_message - 1;
  }
  vsnprintf(t->libtiff_message + used, sizeof t->libtiff_message - used, format, args);
  t->has_message = 1;
  return 1; /* handled: libtiff must not call its global (stderr) handler */
}

/** libtiff warning handler (per handle): silent. */
static int on_tiff_warning(TIFF *tif, void *user_data, const char *module,
                           const char *format, va_list args) {
  (void)tif, (void)user_data, (void)module, (void)format, (void)args;
  return 1;
}

/** Starts a call: clears the caller's buffer and libtiff's last message. */
static void begin(cis_tiff *t, char *message, size_t capacity) {
  if (message != NULL && capacity > 0) message[0] = '\0';
  if (t != NULL) {
    t->has_message = 0;
    t->libtiff_message[0] = '\0';
  }
}

/** Writes "CONTEXT: LIBTIFF MESSAGE" into `message` and returns `status`. */
static CISStatus fail(const cis_tiff *t, CISStatus status, char *message, size_t capacity,
                      const char *format, ...) __attribute__((format(printf, 5, 6)));

static CISStatus fail(const cis_tiff *t, CISStatus status, char *message, size_t capacity,
                      const char *format, ...) {
  if (message == NULL || capacity == 0) return status;
  va_list args;
  va_start(args, format);
  int n = vsnprintf(message, capacity, format, args);
  va_end(args);
  if (t != NULL && t->has_message && n >= 0 && (size_t)n < capacity) {
    snprintf(message + n, capacity - (size_t)n, "%s%s", n > 0 ? ": " : "", t->libtiff_message);
  }
  return status;
}

/** True if libtiff's message says that data could not be read at all. */
static int sounds_truncated(const cis_tiff *t) {
  static const char *const hints[] = {"Read error", "Cannot read", "Can not read",
                                      "Seek error", "Unexpected end"};
  if (!t->has_message) return 0;
  for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
    if (strstr(t->libtiff_message, hints[i]) != NULL) return 1;
  }
  return 0;
}

/** Why reading strip or tile `strile` failed: past the end of the file, or bad. */
static CISStatus strile_failure(const cis_tiff *t, uint32_t strile) {
  int error = 0;
  uint64_t offset = TIFFGetStrileOffsetWithErr(t->tif, strile, &error);
  uint64_t count = error ? 0 : TIFFGetStrileByteCountWithErr(t->tif, strile, &error);
  if (!error && (offset > t->file_size || count > t->file_size - offset)) return CISStatusTruncated;
  return sounds_truncated(t) ? CISStatusTruncated : CISStatusCorrupt;
}

static cis_tiff *new_handle(const char *path) {
  cis_tiff *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  t->path = strdup(path);
  if (t->path == NULL) {
    free(t);
    return NULL;
  }
  return t;
}

static void free_handle(cis_tiff *t) {
  if (t == NULL) return;
  free(t->path);
  free(t);
}

void cis_tiff_close(cis_tiff *t) {
  if (t == NULL) return;
  if (t->tif != NULL) TIFFClose(t->tif); /* also closes the descriptor */
  free_handle(t);
}

/** Options that route libtiff's messages for this handle to `t`. */
static TIFFOpenOptions *open_options(cis_tiff *t, uint64_t max_allocation) {
  TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
  if (options == NULL) return NULL;
  TIFFOpenOptionsSetErrorHandlerExtR(options, on_tiff_error, t);
  TIFFOpenOptionsSetWarningHandlerExtR(options, on_tiff_warning, t);
  if (max_allocation > 0) {
    TIFFOpenOptionsSetMaxSingleMemAlloc(
        options, max_allocation > (uint64_t)INT64_MAX ? INT64_MAX : (tmsize_t)max_allocation);
  }
  return options;
}

/* MARK: - Reading */

static uint64_t load(const uint8_t *p, int bytes, int little) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) {
    v |= (uint64_t)p[little ? i : bytes - 1 - i] << (8 * i);
  }
  return v;
}

/**
 * Checks the header and the first directory's extent against the file size,
 * so that a cut-off file reads as truncated rather than as libtiff's
 * generic "cannot read" (libtiff and most writers put the directory last).
 */
static CISStatus check_header(int fd, uint64_t size, char *message, size_t capacity) {
  static const uint8_t magics[4][4] = {
      {'I', 'I', 42, 0}, {'M', 'M', 0, 42}, {'I', 'I', 43, 0}, {'M', 'M', 0, 43}};
  uint8_t h[16] = {0};
  ssize_t n = pread(fd, h, sizeof h, 0);
  if (n < 0) return fail(NULL, CISStatusIO, message, capacity, "cannot read: %s", strerror(errno));
  size_t got = (size_t)n;
  int known = -1;
  for (int m = 0; m < 4; m++) {
    size_t k = got < 4 ? got : 4;
    if (memcmp(h, magics[m], k) == 0) {
      known = m;
      break;
    }
  }
  if (known < 0) return fail(NULL, CISStatusCorrupt, message, capacity, "not a TIFF file (bad magic number)");
  int little = h[0] == 'I';
  int big = known >= 2;
  size_t header_size = big ? 16 : 8;
  if (got < header_size) {
    return fail(NULL, CISStatusTruncated, message, capacity,
                "the file ends after %zu bytes, inside the header", got);
  }
  uint64_t first = big ? load(h + 8, 8, little) : load(h + 4, 4, little);
  uint64_t count_size = big ? 8 : 2, entry_size = big ? 20 : 12;
  if (first < header_size) {
    return fail(NULL, CISStatusCorrupt, message, capacity,
                "the first directory offset %llu is invalid", (unsigned long long)first);
  }
  if (first > size || count_size > size - first) {
    return fail(NULL, CISStatusTruncated, message, capacity,
                "the first directory at byte %llu lies past the end of the file (%llu bytes)",
                (unsigned long long)first, (unsigned long long)size);
  }
  uint8_t c[8];
  if (pread(fd, c, count_size, (off_t)first) != (ssize_t)count_size) {
    return fail(NULL, CISStatusIO, message, capacity, "cannot read the first directory");
  }
  uint64_t entries = load(c, (int)count_size, little);
  uint64_t room = size - first - count_size;
  if (entries > room / entry_size) {
    return fail(NULL, CISStatusTruncated, message, capacity,
                "the first directory (%llu entries at byte %llu) runs past the end of the file "
                "(%llu bytes)",
                (unsigned long long)entries, (unsigned long long)first, (unsigned long long)size);
  }
  return CISStatusSuccess;
}

CISStatus cis_tiff_open_read(const char *path, uint64_t max_single_allocation,
                             cis_tiff **out, char *message, size_t capacity) {
  *out = NULL;
  begin(NULL, message, capacity);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(NULL, CISStatusIO, message, capacity, "cannot open: %s", strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int code = errno;
    close(fd);
    return fail(NULL, CISStatusIO, message, capacity, "cannot stat: %s", strerror(code));
  }
  CISStatus status = check_header(fd, (uint64_t)st.st_size, message, capacity);
  if (status != CISStatusSuccess) {
    close(fd);
    return status;
  }
  cis_tiff *t = new_handle(path);
  TIFFOpenOptions *options = t != NULL ? open_options(t, max_single_allocation) : NULL;
  if (options == NULL) {
    free_handle(t);
    close(fd);
    return fail(NULL, CISStatusNoMemory, message, capacity, "out of memory");
  }
  t->file_size = (uint64_t)st.st_size;
  t->max_allocation = max_single_allocation;
  /* "m": read(2) rather than mmap(2), so that a file cut short while it is
     read gives an error instead of SIGBUS. */
  t->tif = TIFFFdOpenExt(fd, path, "rm", options);
  TIFFOpenOptionsFree(options);
  if (t->tif == NULL) {
    close(fd); /* TIFFFdOpenExt leaves it open on failure */
    status = fail(t, sounds_truncated(t) ? CISStatusTruncated : CISStatusCorrupt, message, capacity,
                  "cannot read the first page");
    free_handle(t);
    return status;
  }
  *out = t;
  return CISStatusSuccess;
}

CISStatus cis_tiff_page(cis_tiff *t, cis_tiff_page_info *info, char *message, size_t capacity) {
  begin(t, message, capacity);
  memset(info, 0, sizeof *info);
  TIFF *tif = t->tif;
  uint32_t width = 0, height = 0;
  if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height)) {
    return fail(t, CISStatusCorrupt, message, capacity, "the page has no ImageWidth or ImageLength");
  }
  uint16_t spp = 1, bits = 1, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
  uint16_t photometric = 0, compression = COMPRESSION_NONE;
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
  if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric)) {
    photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
  }
  info->width = width;
  info->height = height;
  info->samples_per_pixel = spp;
  info->bits_per_sample = bits;
  info->sample_format = format;
  info->planar_config = planar;
  info->photometric = photometric;
  info->compression = compression;
  info->tiled = TIFFIsTiled(tif) ? 1 : 0;
  float xres = 0, yres = 0;
  uint16_t unit = RESUNIT_INCH;
  if (TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xres)) info->x_resolution = xres;
  if (TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yres)) info->y_resolution = yres;
  TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
  info->resolution_unit = unit;
  return CISStatusSuccess;
}

CISStatus cis_tiff_description(cis_tiff *t, char *text, size_t text_capacity, size_t *length,
                               char *message, size_t capacity) {
  begin(t, message, capacity);
  *length = 0;
  if (text != NULL && text_capacity > 0) text[0] = '\0';
  const char *description = NULL;
  if (!TIFFGetField(t->tif, TIFFTAG_IMAGEDESCRIPTION, &description) || description == NULL) {
    return CISStatusSuccess;
  }
  size_t n = strlen(description);
  *length = n;
  if (text != NULL && text_capacity > 0) {
    size_t copied = n < text_capacity - 1 ? n : text_capacity - 1;
    memcpy(text, description, copied);
    text[copied] = '\0';
  }
  return CISStatusSuccess;
}

CISStatus cis_tiff_page_count(cis_tiff *t, uint32_t limit, uint32_t *count,
                              char *message, size_t capacity) {
  begin(t, message, capacity);
  /* Walk the chain from the current (first) directory without decoding it
     twice: TIFFNumberOfDirectories follows the offsets only, and guards
     against loops. */
  tdir_t n = TIFFNumberOfDirectories(t->tif);
  if (t->has_message) {
    return fail(t, sounds_truncated(t) ? CISStatusTruncated : CISStatusCorrupt, message, capacity,
                "cannot count the pages");
  }
  *count = (uint32_t)n > limit ? limit + 1 : (uint32_t)n;
  return CISStatusSuccess;
}

/**
 * Copies `count` samples of one plane into every `stride`-th slot of an
 * interleaved row, starting at slot `sample`.
 */
static void scatter(uint8_t *dst, const uint8_t *src, size_t count, uint32_t stride,
                    uint32_t sample, uint32_t bytes) {
  switch (bytes) {
    case 1:
      for (size_t i = 0; i < count; i++) dst[i * stride + sample] = src[i];
      break;
    case 2:
      for (size_t i = 0; i < count; i++) memcpy(dst + (i * stride + sample) * 2, src + i * 2, 2);
      break;
    default:
      for (size_t i = 0; i < count; i++) memcpy(dst + (i * stride + sample) * 4, src + i * 4, 4);
      break;
  }
}

/** a * b, or 0 with *overflow set. */
static uint64_t mul(uint64_t a, uint64_t b, int *overflow) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) {
    *overflow = 1;
    return 0;
  }
  return r;
}

/** The page's size in pixels and the geometry both decoders share. */
typedef struct layout {
  uint32_t width, height, spp, bytes;
  /** Planes stored (spp for separate planes, else 1), samples per plane pixel. */
  uint32_t planes, plane_spp;
} layout;

static CISStatus read_strips(cis_tiff *t, const layout *g, uint8_t *out,
                             char *message, size_t capacity) {
  uint32_t rows_per_strip = 0;
  TIFFGetFieldDefaulted(t->tif, TIFFTAG_ROWSPERSTRIP, &rows_per_strip);
  if (rows_per_strip == 0 || rows_per_strip > g->height) rows_per_strip = g->height;
  /* Fits: at most one plane of the page, which the caller's buffer holds. */
  size_t row_bytes = (size_t)g->width * g->plane_spp * g->bytes;
  size_t out_row_bytes = (size_t)g->width * g->spp * g->bytes;
  uint8_t *buffer = malloc((size_t)rows_per_strip * row_bytes);
  if (buffer == NULL) return fail(t, CISStatusNoMemory, message, capacity, "out of memory");
  uint32_t strips = TIFFNumberOfStrips(t->tif);
  CISStatus status = CISStatusSuccess;
  for (uint32_t plane = 0; plane < g->planes && status == CISStatusSuccess; plane++) {
    for (uint32_t row = 0; row < g->height; row += rows_per_strip) {
      uint32_t rows = g->height - row < rows_per_strip ? g->height - row : rows_per_strip;
      uint32_t strip = TIFFComputeStrip(t->tif, row, (uint16_t)plane);
      if (strip >= strips) {
        status = fail(t, CISStatusCorrupt, message, capacity,
                      "the page has %u strips, row %u needs strip %u", strips, row, strip);
        break;
      }
      tmsize_t want = (tmsize_t)((size_t)rows * row_bytes);
      tmsize_t got = TIFFReadEncodedStrip(t->tif, strip, buffer, want);
      if (got != want) {
        status = fail(t, got < 0 ? strile_failure(t, strip) : CISStatusCorrupt, message, capacity,
                      "cannot decode strip %u (rows %u to %u)", strip, row, row + rows - 1);
        break;
      }
      uint8_t *dst = out + (size_t)row * out_row_bytes;
      if (g->planes == 1) {
        memcpy(dst, buffer, (size_t)want);
      } else {
        for (uint32_t r = 0; r < rows; r++) {
          scatter(dst + (size_t)r * out_row_bytes, buffer + (size_t)r * row_bytes, g->width,
                  g->spp, plane, g->bytes);
        }
      }
    }
  }
  free(buffer);
  return status;
}

static CISStatus read_tiles(cis_tiff *t, const layout *g, uint8_t *out,
                            char *message, size_t capacity) {
  uint32_t tile_width = 0, tile_height = 0;
  if (!TIFFGetField(t->tif, TIFFTAG_TILEWIDTH, &tile_width) ||
      !TIFFGetField(t->tif, TIFFTAG_TILELENGTH, &tile_height) || tile_width == 0 || tile_height == 0) {
    return fail(t, CISStatusCorrupt, message, capacity, "the tiled page has no valid tile size");
  }
  int overflow = 0;
  uint64_t tile_row_bytes = mul(tile_width, (uint64_t)g->plane_spp * g->bytes, &overflow);
  uint64_t tile_bytes = mul(tile_row_bytes, tile_height, &overflow);
  if (overflow || (t->max_allocation > 0 && tile_bytes > t->max_allocation) || tile_bytes > SIZE_MAX) {
    return fail(t, CISStatusTooLarge, message, capacity, "tiles of %u x %u pixels are too large",
                tile_width, tile_height);
  }
  uint8_t *buffer = malloc((size_t)tile_bytes);
  if (buffer == NULL) return fail(t, CISStatusNoMemory, message, capacity, "out of memory");
  size_t out_row_bytes = (size_t)g->width * g->spp * g->bytes;
  uint32_t tiles = TIFFNumberOfTiles(t->tif);
  CISStatus status = CISStatusSuccess;
  for (uint32_t plane = 0; plane < g->planes && status == CISStatusSuccess; plane++) {
    for (uint32_t y0 = 0; y0 < g->height && status == CISStatusSuccess; y0 += tile_height) {
      uint32_t rows = g->height - y0 < tile_height ? g->height - y0 : tile_height;
      for (uint32_t x0 = 0; x0 < g->width; x0 += tile_width) {
        uint32_t columns = g->width - x0 < tile_width ? g->width - x0 : tile_width;
        uint32_t tile = TIFFComputeTile(t->tif, x0, y0, 0, (uint16_t)plane);
        if (tile >= tiles) {
          status = fail(t, CISStatusCorrupt, message, capacity,
                        "the page has %u tiles, pixel (%u, %u) needs tile %u", tiles, x0, y0, tile);
          break;
        }
        tmsize_t got = TIFFReadEncodedTile(t->tif, tile, buffer, (tmsize_t)tile_bytes);
        if (got != (tmsize_t)tile_bytes) {
          status = fail(t, got < 0 ? strile_failure(t, tile) : CISStatusCorrupt, message, capacity,
                        "cannot decode tile %u (at pixel %u, %u)", tile, x0, y0);
          break;
        }
        /* Copy the part of the tile inside the image; the rest is padding. */
        for (uint32_t r = 0; r < rows; r++) {
          const uint8_t *src = buffer + (size_t)r * tile_row_bytes;
          uint8_t *dst = out + (size_t)(y0 + r) * out_row_bytes + (size_t)x0 * g->spp * g->bytes;
          if (g->planes == 1) {
            memcpy(dst, src, (size_t)columns * g->spp * g->bytes);
          } else {
            scatter(dst, src, columns, g->spp, plane, g->bytes);
          }
        }
      }
    }
  }
  free(buffer);
  return status;
}

CISStatus cis_tiff_read_page(cis_tiff *t, void *pixels, size_t byte_count,
                             char *message, size_t capacity) {
  cis_tiff_page_info info;
  CISStatus status = cis_tiff_page(t, &info, message, capacity);
  if (status != CISStatusSuccess) return status;
  begin(t, message, capacity);
  if (info.bits_per_sample != 8 && info.bits_per_sample != 16 && info.bits_per_sample != 32) {
    return fail(t, CISStatusUnsupported, message, capacity, "%u-bit samples are not supported",
                info.bits_per_sample);
  }
  if (info.samples_per_pixel < 1 || info.samples_per_pixel > 4) {
    return fail(t, CISStatusUnsupported, message, capacity,
                "%u samples per pixel are not supported", info.samples_per_pixel);
  }
  if (info.photometric == PHOTOMETRIC_YCBCR) {
    return fail(t, CISStatusUnsupported, message, capacity, "YCbCr pages are not supported");
  }
  layout g = {info.width, info.height, info.samples_per_pixel, info.bits_per_sample / 8, 1,
              info.samples_per_pixel};
  if (info.planar_config == PLANARCONFIG_SEPARATE && info.samples_per_pixel > 1) {
    g.planes = info.samples_per_pixel;
    g.plane_spp = 1;
  }
  int overflow = 0;
  uint64_t expected = mul(mul(info.width, info.height, &overflow),
                          (uint64_t)g.spp * g.bytes, &overflow);
  if (overflow || expected != byte_count) {
    return fail(t, CISStatusUnsupported, message, capacity,
                "a buffer of %zu bytes does not fit %u x %u x %u samples of %u bits", byte_count,
                info.width, info.height, info.samples_per_pixel, info.bits_per_sample);
  }
  if (byte_count == 0) return CISStatusSuccess;
  return info.tiled ? read_tiles(t, &g, pixels, message, capacity)
                    : read_strips(t, &g, pixels, message, capacity);
}

CISStatus cis_tiff_next_page(cis_tiff *t, char *message, size_t capacity) {
  begin(t, message, capacity);
  if (TIFFLastDirectory(t->tif)) return CISStatusEndOfPages;
  if (!TIFFReadDirectory(t->tif)) {
    return fail(t, sounds_truncated(t) ? CISStatusTruncated : CISStatusCorrupt, message, capacity,
                "cannot read page %u", (unsigned)TIFFCurrentDirectory(t->tif) + 2);
  }
  return CISStatusSuccess;
}

/* MARK: - Writing */

CISStatus cis_tiff_open_write(const char *path, int big, cis_tiff **out,
                              char *message, size_t capacity) {
  *out = NULL;
  begin(NULL, message, capacity);
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fail(NULL, CISStatusIO, message, capacity, "cannot create: %s", strerror(errno));
  cis_tiff *t = new_handle(path);
  TIFFOpenOptions *options = t != NULL ? open_options(t, 0) : NULL;
  if (options == NULL) {
    free_handle(t);
    close(fd);
    return fail(NULL, CISStatusNoMemory, message, capacity, "out of memory");
  }
  t->tif = TIFFFdOpenExt(fd, path, big ? "w8" : "w", options);
  TIFFOpenOptionsFree(options);
  if (t->tif == NULL) {
    close(fd);
    CISStatus status = fail(t, CISStatusIO, message, capacity, "cannot start the TIFF file");
    free_handle(t);
    return status;
  }
  *out = t;
  return CISStatusSuccess;
}

CISStatus cis_tiff_write_page(cis_tiff *t, const cis_tiff_page_spec *spec,
                              const void *pixels, size_t byte_count,
                              char *message, size_t capacity) {
  begin(t, message, capacity);
  TIFF *tif = t->tif;
  uint32_t spp = spec->samples_per_pixel, bits = spec->bits_per_sample;
  int valid_format = spec->sample_format == SAMPLEFORMAT_UINT ||
                     ((spec->sample_format == SAMPLEFORMAT_INT ||
                       spec->sample_format == SAMPLEFORMAT_IEEEFP) && bits == 32);
  if (spp < 1 || spp > 4 || (bits != 8 && bits != 16 && bits != 32) || !valid_format ||
      spec->width == 0 || spec->height == 0) {
    return fail(t, CISStatusUnsupported, message, capacity,
                "cannot write %u x %u pixels of %u samples, %u bits, sample format %u",
                spec->width, spec->height, spp, bits, spec->sample_format);
  }
  size_t row_bytes = (size_t)spec->width * spp * (bits / 8);
  int overflow = 0;
  if (mul(row_bytes, spec->height, &overflow) != byte_count || overflow) {
    return fail(t, CISStatusUnsupported, message, capacity,
                "a buffer of %zu bytes does not fit %u x %u x %u samples of %u bits", byte_count,
                spec->width, spec->height, spp, bits);
  }
  uint16_t compression = COMPRESSION_NONE;
  switch (spec->compression) {
    case CISTIFFCompressionNone: compression = COMPRESSION_NONE; break;
    case CISTIFFCompressionLZW: compression = COMPRESSION_LZW; break;
    case CISTIFFCompressionDeflate: compression = COMPRESSION_ADOBE_DEFLATE; break;
  }
  /* Strips of about 64 KiB: small enough to stream, large enough to compress. */
  uint32_t rows_per_strip = row_bytes >= 65536 ? 1 : (uint32_t)(65536 / row_bytes);
  if (rows_per_strip > spec->height) rows_per_strip = spec->height;

  int ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)spec->width) &&
           TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)spec->height) &&
           TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)spp) &&
           TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)bits) &&
           TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, (uint16_t)spec->sample_format) &&
           TIFFSetField(tif, TIFFTAG_PHOTOMETRIC,
                        (uint16_t)(spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK)) &&
           TIFFSetField(tif, TIFFTAG_PLANARCONFIG, (uint16_t)PLANARCONFIG_CONTIG) &&
           TIFFSetField(tif, TIFFTAG_ORIENTATION, (uint16_t)ORIENTATION_TOPLEFT) &&
           TIFFSetField(tif, TIFFTAG_COMPRESSION, compression) &&
           TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rows_per_strip);
  if (ok && (spp == 2 || spp == 4)) {
    uint16_t extra = EXTRASAMPLE_UNASSALPHA;
    ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, (uint16_t)1, &extra);
  }
  if (ok && spec->description != NULL) {
    ok = TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, spec->description);
  }
  if (ok && spec->x_resolution > 0 && spec->y_resolution > 0) {
    ok = TIFFSetField(tif, TIFFTAG_XRESOLUTION, (float)spec->x_resolution) &&
         TIFFSetField(tif, TIFFTAG_YRESOLUTION, (float)spec->y_resolution) &&
         TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, (uint16_t)RESUNIT_NONE);
  }
  if (ok && spec->page_count > 1) {
    /* Fiji / ImageJ read a file of same-sized full-resolution pages as a stack. */
    ok = TIFFSetField(tif, TIFFTAG_SUBFILETYPE, (uint32_t)0);
    if (ok && spec->page_count <= 0xffff) {
      ok = TIFFSetField(tif, TIFFTAG_PAGENUMBER, (uint16_t)spec->page_index,
                        (uint16_t)spec->page_count);
    }
  }
  if (!ok) {
    return fail(t, CISStatusUnsupported, message, capacity, "cannot set the fields of page %u",
                spec->page_index + 1);
  }

  /* libtiff may encode in place (byte swapping, predictors): hand it a copy. */
  uint8_t *scratch = malloc((size_t)rows_per_strip * row_bytes);
  if (scratch == NULL) return fail(t, CISStatusNoMemory, message, capacity, "out of memory");
  CISStatus status = CISStatusSuccess;
  const uint8_t *source = pixels;
  for (uint32_t row = 0, strip = 0; row < spec->height; row += rows_per_strip, strip++) {
    uint32_t rows = spec->height - row < rows_per_strip ? spec->height - row : rows_per_strip;
    size_t size = (size_t)rows * row_bytes;
    memcpy(scratch, source + (size_t)row * row_bytes, size);
    if (TIFFWriteEncodedStrip(tif, strip, scratch, (tmsize_t)size) < 0) {
      status = fail(t, CISStatusIO, message, capacity, "cannot write strip %u of page %u", strip,
                    spec->page_index + 1);
      break;
    }
  }
  free(scratch);
  if (status == CISStatusSuccess && !TIFFWriteDirectory(tif)) {
    status = fail(t, CISStatusIO, message, capacity, "cannot write the directory of page %u",
                  spec->page_index + 1);
  }
  return status;
}

CISStatus cis_tiff_finish_write(cis_tiff *t, char *message, size_t capacity) {
  begin(t, message, capacity);
  /* Every page was completed by its TIFFWriteDirectory; closing flushes
     whatever libtiff still holds, reporting through `t`'s handler. */
  TIFFClose(t->tif);
  t->tif = NULL;
  CISStatus status = t->has_message
                         ? fail(t, CISStatusIO, message, capacity, "cannot complete the file")
                         : CISStatusSuccess;
  free_handle(t);
  return status;
}
