// zlib for Swift: the header plus functions for the init macros Swift cannot import.
#ifndef SEGSWEEP_CZLIB_SHIM_H
#define SEGSWEEP_CZLIB_SHIM_H

#include <zlib.h>

/// deflateInit2 for a gzip stream (windowBits 15 + 16) at `level`, memLevel 8, default strategy.
static inline int czlib_deflate_init_gzip(z_streamp stream, int level) {
  return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// inflateInit2 accepting only a gzip stream (windowBits 15 + 16).
static inline int czlib_inflate_init_gzip(z_streamp stream) {
  return inflateInit2(stream, 15 + 16);
}

#endif
