#ifndef CSQLITESETTINGS_H
#define CSQLITESETTINGS_H

/// Turns off SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS), which take a process-wide
/// mutex on every allocation and free. sqlite3_config is variadic, so Swift cannot call it.
/// Effective only before SQLite initialises (the first connection opened); returns the
/// result code of sqlite3_config (SQLITE_MISUSE when it came too late).
int promptbatch_sqlite_disable_memory_statistics(void);

#endif
