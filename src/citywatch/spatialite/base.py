"""GeoDjango's SpatiaLite backend, with the connection's pragmas set after the extension has loaded.

Django's SQLite backend opens the connection with ``timeout`` (SQLite's busy timeout) and runs
``OPTIONS["init_command"]`` inside ``sqlite3.base.DatabaseWrapper.get_new_connection``; GeoDjango's
``spatialite.base.DatabaseWrapper.get_new_connection`` calls that first and only then loads the
SpatiaLite extension, whose initialisation sets the busy timeout to 5 s. So a write waited 5 s, not the
configured 20, before failing with "database is locked". Here the pragmas run after the extension:

* ``busy_timeout``: the connection's ``timeout`` (``CITYWATCH_DB_BUSY_TIMEOUT_MS``);
* ``journal_mode = WAL``: readers never wait for the writer, nor the writer for readers (file databases;
  an in-memory database keeps its own journal);
* ``synchronous = NORMAL``: with WAL, durable at every checkpoint and never corrupt; what SQLite advises.
"""

from django.contrib.gis.db.backends.spatialite import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)  # the extension is loaded when this returns
        timeout_ms = round(float(conn_params.get("timeout", 5)) * 1000)
        conn.execute(f"PRAGMA busy_timeout = {timeout_ms:d}")
        if not self.is_in_memory_db():
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn
