#ifndef CSQLITECONFIG_H
#define CSQLITECONFIG_H

/// Turns on SQLite's query planner stability guarantee (SQLITE_DBCONFIG_ENABLE_QPSG) for one
/// connection. Without it SQLite re-prepares a cached statement whenever a new value is bound
/// to a parameter the planner looked at (a LIMIT, a constant it propagated), which cost more than
/// running the statement. sqlite3_db_config is variadic, and Swift cannot call C variadic
/// functions, hence this one-line C function. Returns SQLite's result code.
int conclave_sqlite_enable_qpsg(void *db);

#endif
