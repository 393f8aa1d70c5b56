// `trail_feed`: rows held in memory, read by SQL as a table (an eponymous virtual table, as SQLite's
// carray extension, which Debian's library does not build in). `INSERT INTO t SELECT ... FROM
// trail_feed(?)` stores many rows in one statement: a statement run per row cost about a microsecond
// each, four times what the same rows cost from a SELECT.

#include "trail_support.h"
#include <sqlite3.h>
#include <string.h>

#define FEED_COLUMNS 32

typedef struct {
    sqlite3_vtab base;
} feed_vtab;

typedef struct {
    sqlite3_vtab_cursor base;
    const trail_feed_rows *rows;
    int64_t row;
} feed_cursor;

static int feed_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **error) {
    (void)aux; (void)argc; (void)argv; (void)error;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15,"
                                      " c16, c17, c18, c19, c20, c21, c22, c23, c24, c25, c26, c27, c28, c29, c30, c31,"
                                      " source HIDDEN)");
    if (rc != SQLITE_OK) return rc;
    feed_vtab *vtab = sqlite3_malloc(sizeof(feed_vtab));
    if (!vtab) return SQLITE_NOMEM;
    memset(vtab, 0, sizeof(*vtab));
    *out = &vtab->base;
    return SQLITE_OK;
}

static int feed_disconnect(sqlite3_vtab *vtab) {
    sqlite3_free(vtab);
    return SQLITE_OK;
}

static int feed_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out) {
    (void)vtab;
    feed_cursor *cursor = sqlite3_malloc(sizeof(feed_cursor));
    if (!cursor) return SQLITE_NOMEM;
    memset(cursor, 0, sizeof(*cursor));
    *out = &cursor->base;
    return SQLITE_OK;
}

static int feed_close(sqlite3_vtab_cursor *cursor) {
    sqlite3_free(cursor);
    return SQLITE_OK;
}

// The rows come only through the hidden `source` argument, a pointer bound with sqlite3_bind_pointer and
// the type "trail_feed_rows": no other value (a number, a text from a crafted query) can pose as one.
static int feed_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
    (void)vtab;
    int source = -1;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->iColumn == FEED_COLUMNS && c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
            if (!c->usable) return SQLITE_CONSTRAINT;
            source = i;
        }
    }
    if (source < 0) return SQLITE_CONSTRAINT;
    info->aConstraintUsage[source].argvIndex = 1;
    info->aConstraintUsage[source].omit = 1;
    info->estimatedCost = 1000;
    info->estimatedRows = 1000;
    return SQLITE_OK;
}

static int feed_filter(sqlite3_vtab_cursor *base, int plan, const char *planName, int argc, sqlite3_value **argv) {
    (void)plan; (void)planName;
    feed_cursor *cursor = (feed_cursor *)base;
    cursor->rows = argc > 0 ? sqlite3_value_pointer(argv[0], "trail_feed_rows") : NULL;
    cursor->row = 0;
    return SQLITE_OK;
}

static int feed_next(sqlite3_vtab_cursor *base) {
    ((feed_cursor *)base)->row++;
    return SQLITE_OK;
}

static int feed_eof(sqlite3_vtab_cursor *base) {
    feed_cursor *cursor = (feed_cursor *)base;
    return cursor->rows == NULL || cursor->row >= cursor->rows->count;
}

static int feed_column(sqlite3_vtab_cursor *base, sqlite3_context *context, int column) {
    feed_cursor *cursor = (feed_cursor *)base;
    const trail_feed_rows *rows = cursor->rows;
    if (column >= rows->columns) { sqlite3_result_null(context); return SQLITE_OK; }
    const trail_feed_cell *cell = &rows->cells[cursor->row * rows->columns + column];
    switch (cell->type) {
    case TRAIL_FEED_INTEGER: sqlite3_result_int64(context, cell->integer); break;
    case TRAIL_FEED_TEXT: sqlite3_result_text(context, rows->bytes + cell->integer, cell->length, SQLITE_STATIC); break;
    default: sqlite3_result_null(context); break;
    }
    return SQLITE_OK;
}

static int feed_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
    *rowid = ((feed_cursor *)base)->row;
    return SQLITE_OK;
}

static sqlite3_module feed_module = {
    .iVersion = 0,
    .xCreate = NULL,  // eponymous only: never a table in a schema
    .xConnect = feed_connect,
    .xBestIndex = feed_best_index,
    .xDisconnect = feed_disconnect,
    .xDestroy = feed_disconnect,
    .xOpen = feed_open,
    .xClose = feed_close,
    .xFilter = feed_filter,
    .xNext = feed_next,
    .xEof = feed_eof,
    .xColumn = feed_column,
    .xRowid = feed_rowid,
};

int trail_feed_register(void *db) {
    return sqlite3_create_module((sqlite3 *)db, "trail_feed", &feed_module, NULL);
}

int trail_feed_bind(void *statement, int index, const trail_feed_rows *rows) {
    return sqlite3_bind_pointer((sqlite3_stmt *)statement, index, (void *)rows, "trail_feed_rows", NULL);
}
