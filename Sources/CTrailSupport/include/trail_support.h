// What Swift cannot reach or do fast enough: glibc's malloc and SQLite's global configuration, the gzip
// CRC, and starting a file's write-out.
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

#endif
