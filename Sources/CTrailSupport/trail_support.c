// Records are made on reader threads and freed on the writer's: with an arena per thread, glibc keeps
// the freed memory in arenas that the writer never reuses, and the peak grows with contention.
#include "trail_support.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void trail_limit_malloc_arenas(void) {
#if defined(__GLIBC__)
    mallopt(M_ARENA_MAX, 2);
#endif
}
