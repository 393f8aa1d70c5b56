// Process-wide settings that Swift cannot reach: glibc's malloc tuning.
#ifndef TRAIL_SUPPORT_H
#define TRAIL_SUPPORT_H

/// Limits glibc to two malloc arenas (no-op elsewhere).
void trail_limit_malloc_arenas(void);

#endif
