/*
 * PNG through libpng's full API, with every libpng call made under a
 * setjmp in this file: libpng's longjmp never reaches Swift.
 */
#include "CImageSupport.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* MARK: - Shared error state */

/** What libpng's callbacks record; the error pointer of every png_struct. */
typedef struct png_state {
  char *message;
  size_t capacity;
  /** Set by the read callback when the data runs out. */
  int truncated;
  /** Set when IHDR exceeded png_set_user_limits (reported as a warning). */
  int over_user_limit;
  /** Set when an allocation of ours failed inside a callback. */
  int out_of_memory;
} png_state;

static void set_message(png_state *state, const char *text) {
  if (state->message != NULL && state->capacity > 0) {
    snprintf(state->message, state->capacity, "%s", text);
  }
}

/** libpng error callback: keeps the message, then unwinds to our setjmp. */
static void on_png_error(png_structp png, png_const_charp text) {
  png_state *state = (png_state *)png_get_error_ptr(png);
  if (state != NULL) {
    /* The callbacks have already written a better message. */
    if (!state->truncated && !state->out_of_memory && !state->over_user_limit) {
      set_message(state, text != NULL ? text : "unknown libpng error");
    }
  }
  png_longjmp(png, 1);
}

/** libpng warning callback: silent; notes the one warning that matters. */
static void on_png_warning(png_structp png, png_const_charp text) {
  png_state *state = (png_state *)png_get_error_ptr(png);
  if (state != NULL && text != NULL && strstr(text, "exceeds user limit") != NULL) {
    state->over_user_limit = 1;
    set_message(state, strstr(text, "width") != NULL
                           ? "the header claims a width above the pixel limit"
                           : "the header claims a height above the pixel limit");
  }
}

/** The status a libpng error maps to. */
static CISStatus error_status(const png_state *state) {
  if (state->truncated) return CISStatusTruncated;
  if (state->out_of_memory) return CISStatusNoMemory;
  if (state->over_user_limit) return CISStatusTooLarge;
  return CISStatusCorrupt;
}

/* MARK: - Reading */

struct cis_png_reader {
  png_structp png;
  png_infop info;
  png_state state;
  const uint8_t *data;
  size_t size;
  size_t offset;
  png_bytep *rows;
  cis_png_header header;
};

/** png_set_read_fn callback: serves bytes from memory, never past the end. */
static void read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  cis_png_reader *reader = (cis_png_reader *)png_get_io_ptr(png);
  if (length > reader->size - reader->offset) {
    reader->state.truncated = 1;
    char text[128];
    snprintf(text, sizeof text, "the file ends after %zu bytes, inside a chunk", reader->size);
    set_message(&reader->state, text);
    png_error(png, text);
  }
  memcpy(out, reader->data + reader->offset, length);
  reader->offset += length;
}

static void arm(png_state *state, char *message, size_t capacity) {
  state->message = message;
  state->capacity = capacity;
  if (message != NULL && capacity > 0) message[0] = '\0';
}

void cis_png_reader_close(cis_png_reader *reader) {
  if (reader == NULL) return;
  if (reader->png != NULL) png_destroy_read_struct(&reader->png, &reader->info, NULL);
  free(reader->rows);
  free(reader);
}

CISStatus cis_png_reader_open(const uint8_t *data, size_t size, uint64_t max_pixels,
                              cis_png_reader **out, cis_png_header *header,
                              char *message, size_t capacity) {
  *out = NULL;
  memset(header, 0, sizeof *header);
  if (message != NULL && capacity > 0) message[0] = '\0';

  if (size < 8) {
    if (png_sig_cmp((png_const_bytep)data, 0, size) == 0) {
      snprintf(message, capacity, "the file ends after %zu bytes, inside the signature", size);
      return CISStatusTruncated;
    }
    snprintf(message, capacity, "not a PNG file (bad signature)");
    return CISStatusCorrupt;
  }
  if (png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
    snprintf(message, capacity, "not a PNG file (bad signature)");
    return CISStatusCorrupt;
  }

  cis_png_reader *reader = calloc(1, sizeof *reader);
  if (reader == NULL) {
    snprintf(message, capacity, "out of memory");
    return CISStatusNoMemory;
  }
  reader->data = data;
  reader->size = size;
  arm(&reader->state, message, capacity);
  reader->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader->state,
                                       on_png_error, on_png_warning);
  if (reader->png != NULL) reader->info = png_create_info_struct(reader->png);
  if (reader->png == NULL || reader->info == NULL) {
    cis_png_reader_close(reader);
    snprintf(message, capacity, "out of memory");
    return CISStatusNoMemory;
  }

  if (setjmp(png_jmpbuf(reader->png))) {
    CISStatus status = error_status(&reader->state);
    cis_png_reader_close(reader);
    return status;
  }

  /* Both user limits at the pixel limit: anything they stop, it stops. */
  uint32_t side_limit = max_pixels > 0x7fffffffu ? 0x7fffffffu : (uint32_t)max_pixels;
  if (side_limit == 0) side_limit = 1;
  png_set_user_limits(reader->png, side_limit, side_limit);
  png_set_read_fn(reader->png, reader, read_from_memory);
  png_read_info(reader->png, reader->info);

  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
  png_get_IHDR(reader->png, reader->info, &width, &height, &bit_depth, &color_type,
               &interlace, NULL, NULL);
  header->width = width;
  header->height = height;
  if ((uint64_t)width * (uint64_t)height > max_pixels) {
    snprintf(message, capacity, "header claims %u x %u pixels, more than the limit of %llu",
             (unsigned)width, (unsigned)height, (unsigned long long)max_pixels);
    cis_png_reader_close(reader);
    return CISStatusTooLarge;
  }

  /* Palette -> RGB, gray < 8 bits -> 8 bits, tRNS -> alpha. */
  if (color_type == PNG_COLOR_TYPE_PALETTE || bit_depth < 8 ||
      png_get_valid(reader->png, reader->info, PNG_INFO_tRNS)) {
    png_set_expand(reader->png);
  }
  if (bit_depth == 16) {
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe == 1) png_set_swap(reader->png); /* little-endian host */
  }
  png_set_interlace_handling(reader->png);
  png_read_update_info(reader->png, reader->info);

  header->channels = png_get_channels(reader->png, reader->info);
  header->bit_depth = png_get_bit_depth(reader->png, reader->info);
  if (header->channels < 1 || header->channels > 4 ||
      (header->bit_depth != 8 && header->bit_depth != 16) ||
      png_get_rowbytes(reader->png, reader->info) !=
          (size_t)width * header->channels * (header->bit_depth / 8)) {
    snprintf(message, capacity, "unexpected layout after expansion: %u channels of %u bits",
             header->channels, header->bit_depth);
    cis_png_reader_close(reader);
    return CISStatusUnsupported;
  }
  reader->header = *header;
  *out = reader;
  return CISStatusSuccess;
}

CISStatus cis_png_reader_read(cis_png_reader *reader, void *pixels, size_t byte_count,
                              char *message, size_t capacity) {
  arm(&reader->state, message, capacity);
  const cis_png_header *h = &reader->header;
  size_t row_bytes = (size_t)h->width * h->channels * (h->bit_depth / 8);
  if (h->height == 0 || byte_count / h->height != row_bytes || byte_count % h->height != 0) {
    snprintf(message, capacity, "pixel buffer of %zu bytes does not fit %u x %u x %u samples",
             byte_count, h->width, h->height, h->channels);
    return CISStatusUnsupported;
  }
  free(reader->rows);
  reader->rows = malloc(sizeof(png_bytep) * h->height);
  if (reader->rows == NULL) {
    snprintf(message, capacity, "out of memory");
    return CISStatusNoMemory;
  }
  for (uint32_t y = 0; y < h->height; y++) {
    reader->rows[y] = (png_bytep)pixels + (size_t)y * row_bytes;
  }
  if (setjmp(png_jmpbuf(reader->png))) {
    return error_status(&reader->state);
  }
  png_read_image(reader->png, reader->rows);
  png_read_end(reader->png, NULL);
  return CISStatusSuccess;
}

/* MARK: - Writing */

/** A growable output buffer and the error state of one encode. */
typedef struct png_sink {
  png_state state; /* first: it is also the error pointer */
  uint8_t *data;
  size_t size;
  size_t capacity;
} png_sink;

/** png_set_write_fn callback: appends to the growable buffer. */
static void write_to_memory(png_structp png, png_bytep bytes, png_size_t length) {
  png_sink *sink = (png_sink *)png_get_io_ptr(png);
  if (length > sink->capacity - sink->size) {
    size_t wanted = sink->size + length;
    size_t grown = sink->capacity < 4096 ? 4096 : sink->capacity;
    while (grown < wanted) {
      if (grown > SIZE_MAX / 2) { grown = wanted; break; }
      grown *= 2;
    }
    uint8_t *data = realloc(sink->data, grown);
    if (data == NULL || wanted < sink->size) {
      sink->state.out_of_memory = 1;
      set_message(&sink->state, "out of memory while encoding");
      png_error(png, "out of memory");
    }
    sink->data = data;
    sink->capacity = grown;
  }
  memcpy(sink->data + sink->size, bytes, length);
  sink->size += length;
}

static void flush_memory(png_structp png) { (void)png; }

void cis_free(void *pointer) { free(pointer); }

CISStatus cis_png_encode(const void *pixels, uint32_t width, uint32_t height,
                         uint32_t channels, uint32_t bit_depth,
                         uint8_t **output, size_t *output_size,
                         char *message, size_t capacity) {
  *output = NULL;
  *output_size = 0;
  if (message != NULL && capacity > 0) message[0] = '\0';
  static const int color_types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                    PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16) ||
      width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu) {
    snprintf(message, capacity, "PNG cannot hold %u x %u pixels of %u channels at %u bits",
             width, height, channels, bit_depth);
    return CISStatusUnsupported;
  }

  png_sink *sink = calloc(1, sizeof *sink);
  if (sink == NULL) {
    snprintf(message, capacity, "out of memory");
    return CISStatusNoMemory;
  }
  arm(&sink->state, message, capacity);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink->state,
                                            on_png_error, on_png_warning);
  png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
  if (png == NULL || info == NULL) {
    png_destroy_write_struct(&png, &info);
    free(sink);
    snprintf(message, capacity, "out of memory");
    return CISStatusNoMemory;
  }
  /* `png`, `info` and `sink` are not modified after setjmp, so they keep
     their values after a longjmp. */
  if (setjmp(png_jmpbuf(png))) {
    CISStatus status = sink->state.out_of_memory ? CISStatusNoMemory : CISStatusUnsupported;
    png_destroy_write_struct(&png, &info);
    free(sink->data);
    free(sink);
    return status;
  }
  png_set_user_limits(png, 0x7fffffffu, 0x7fffffffu);
  png_set_write_fn(png, sink, write_to_memory, flush_memory);
  png_set_IHDR(png, info, width, height, (int)bit_depth, color_types[channels - 1],
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  if (bit_depth == 16) {
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe == 1) png_set_swap(png); /* little-endian host */
  }
  size_t row_bytes = (size_t)width * channels * (bit_depth / 8);
  for (uint32_t y = 0; y < height; y++) {
    /* libpng copies each row before transforming it: `pixels` stays intact. */
    png_write_row(png, (png_const_bytep)pixels + (size_t)y * row_bytes);
  }
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);

  *output = sink->data;
  *output_size = sink->size;
  free(sink);
  return CISStatusSuccess;
}
