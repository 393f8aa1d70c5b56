// Records are made on reader threads and freed on the writer's: with an arena per thread, glibc keeps
// the freed memory in arenas that the writer never reuses, and the peak grows with contention.
#include "trail_support.h"
#include <sqlite3.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void trail_limit_malloc_arenas(void) {
#if defined(__GLIBC__)
    mallopt(M_ARENA_MAX, 2);
#endif
}

// SQLite counts every allocation under a global mutex unless told not to; trail never reads the counts,
// and the importer allocates for every value it binds. Must run before SQLite is first used.
void trail_tune_sqlite(void) {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
