#include "CSQLiteConfig.h"

// SQLiteNIO's bundled SQLite (the VaporCSQLite target, linked into the same binary) prefixes its
// symbols with sqlite_nio_; its header is not visible from this package, so the prototype and
// the option's value (sqlite3.h: SQLITE_DBCONFIG_ENABLE_QPSG) are repeated here.
int sqlite_nio_sqlite3_db_config(void *db, int op, ...);

#define CONCLAVE_SQLITE_DBCONFIG_ENABLE_QPSG 1007

int conclave_sqlite_enable_qpsg(void *db) {
    int enabled = 0;
    return sqlite_nio_sqlite3_db_config(db, CONCLAVE_SQLITE_DBCONFIG_ENABLE_QPSG, 1, &enabled);
}
