"""Django's SQLite backend with every transaction begun ``IMMEDIATE`` (Django 5.1's
``"transaction_mode": "IMMEDIATE"`` option, which Django 2.2 does not have).

Why: a transaction that read first and then writes cannot wait for another connection's write.
SQLite answers "database is locked" at once, ignoring the busy timeout, because waiting could
deadlock (https://www.sqlite.org/lang_transaction.html, "deferred" transactions;
https://www.sqlite.org/c3ref/busy_handler.html). Without a broker, the addon's background
thread is such another connection: while it records what it sent, a shop request that saves a
contact (Shuup reads the contact's groups first) failed with "database is locked" (tests/
test_sqlite_immediate.py shows it). Begun IMMEDIATE, a transaction takes the write lock first, so
it waits (the busy timeout, ``OPTIONS["timeout"]``) for the other writer's few milliseconds
instead. Reads outside a transaction are not affected. The demo project uses this backend; system
check ``shuup_mailchimp.W004`` recommends it wherever Django's SQLite backend is used beside the
background thread or a Celery worker (``bench/sqlite_writers.py`` counts the failures of both).
"""
from django.db.backends.sqlite3 import base

Database = base.Database  # what Django's own modules read from a backend's base module


class DatabaseWrapper(base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self):
        # Django's is "BEGIN" (deferred): the write lock would be taken at the first write.
        self.cursor().execute("BEGIN IMMEDIATE")
