// What Swift cannot reach or do fast enough: glibc's malloc and SQLite's global configuration, the gzip
// CRC, starting a file's write-out, and the JSON scanner's sixteen-byte string step.
#ifndef TRAIL_SUPPORT_H
#define TRAIL_SUPPORT_H

#include <stdint.h>
#include <stddef.h>

/// Limits glibc to two malloc arenas (no-op elsewhere).
void trail_limit_malloc_arenas(void);

/// Turns off SQLite's allocation statistics (a global mutex per allocation). Call before any SQLite use.
void trail_tune_sqlite(void);

/// Starts writing the file's dirty pages to disk without waiting (Linux `sync_file_range`); elsewhere,
/// or if the file cannot be opened, does nothing.
void trail_start_writeback(const char *path);

/// CRC-32 as zlib's crc32 (gzip's), folded with PCLMULQDQ where the CPU has it.
uint32_t trail_crc32(uint32_t crc, const unsigned char *buf, size_t len);

/// 1 if `trail_crc32` folds with PCLMULQDQ on this machine.
int trail_crc32_folds(void);

/// A value of `trail_feed`'s rows: NULL, an integer, or a text of `length` bytes at `integer` in the rows' bytes.
enum { TRAIL_FEED_NULL = 0, TRAIL_FEED_INTEGER = 1, TRAIL_FEED_TEXT = 2 };
typedef struct {
    int64_t integer;
    int32_t length;
    int32_t type;
} trail_feed_cell;

/// Rows for `trail_feed`: `count` rows of `columns` cells each (at most 32), row after row.
typedef struct {
    const char *bytes;
    const trail_feed_cell *cells;
    int64_t count;
    int32_t columns;
} trail_feed_rows;

/// Makes the table-valued function `trail_feed(source)` (columns c0 to c31) known to a connection
/// (a `sqlite3 *`). Returns an SQLite result code.
int trail_feed_register(void *db);

/// Binds rows as parameter `index` (from 1) of a statement (a `sqlite3_stmt *`) that reads
/// `trail_feed(?)`. The rows and their bytes must stay unchanged until the statement is reset.
int trail_feed_bind(void *statement, int index, const trail_feed_rows *rows);

/// Which of the 16 bytes at `p` end a JSON string's plain run: a quote, a backslash, a control character
/// or a non-ASCII byte (bit i for byte i; 0 when none does). In line, for the JSON scanner's hot loop;
/// SSE2 is part of x86-64, and elsewhere the bytes are tested one by one.
#if defined(__SSE2__)
#include <emmintrin.h>
static inline unsigned trail_string_stops16(const unsigned char *p) {
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i stops = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x22)), _mm_cmpeq_epi8(v, _mm_set1_epi8(0x5C))));
    return (unsigned)_mm_movemask_epi8(stops);
}
#else
static inline unsigned trail_string_stops16(const unsigned char *p) {
    unsigned mask = 0;
    for (int i = 0; i < 16; i++) {
        unsigned char b = p[i];
        if (b < 0x20 || b >= 0x80 || b == 0x22 || b == 0x5C) mask |= 1u << i;
    }
    return mask;
}
#endif

#endif
