// Process-wide settings that Swift cannot reach: glibc's malloc and SQLite's global configuration.
#ifndef TRAIL_SUPPORT_H
#define TRAIL_SUPPORT_H

/// Limits glibc to two malloc arenas (no-op elsewhere).
void trail_limit_malloc_arenas(void);

/// Turns off SQLite's allocation statistics (a global mutex per allocation). Call before any SQLite use.
void trail_tune_sqlite(void);

#endif
