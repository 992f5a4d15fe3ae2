"""Tokens in a database row per scope, bumped inside the write's own transaction.

The bump is one statement computing ``GREATEST(version + 1, now in µs)`` on the database's clock,
so it commits or rolls back with the write, and concurrent writers serialise on the row lock.
"""

from django.db import connections, transaction

from ..exceptions import ConfigurationError, VersionStoreError

TABLE = "django_nostale_scopeversion"

# The database's clock in µs since 1970, and the function taking the larger of two values.
NOW_US = {
    "postgresql": "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::bigint",
    "sqlite": "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)",
    "mysql": "CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS UNSIGNED)",
}
GREATEST = {"postgresql": "GREATEST", "sqlite": "max", "mysql": "GREATEST"}


class DatabaseStore:
    transactional = True

    def __init__(self, using):
        self.using = using
        vendor = connections[using].vendor
        if vendor not in NOW_US:
            raise ConfigurationError(f"The database store supports PostgreSQL, SQLite and MySQL, not {vendor}")
        self.vendor = vendor

    def read(self, scope):
        # A savepoint: a failing statement must not abort the caller's transaction, which on
        # PostgreSQL would make its COMMIT a silent ROLLBACK of the write itself.
        try:
            with transaction.atomic(using=self.using), connections[self.using].cursor() as cursor:
                cursor.execute(f"SELECT version FROM {TABLE} WHERE scope = %s", [scope])
                row = cursor.fetchone()
                if row is None:
                    ignore = "INSERT IGNORE INTO" if self.vendor == "mysql" else "INSERT INTO"
                    conflict = "" if self.vendor == "mysql" else " ON CONFLICT (scope) DO NOTHING"
                    cursor.execute(f"{ignore} {TABLE} (scope, version) VALUES (%s, {NOW_US[self.vendor]}){conflict}", [scope])
                    cursor.execute(f"SELECT version FROM {TABLE} WHERE scope = %s", [scope])
                    row = cursor.fetchone()
        except Exception as error:
            raise VersionStoreError(f'Reading the version of "{scope}" failed: {error}', scope) from error
        return str(row[0])

    def bump(self, scope):
        now, greatest = NOW_US[self.vendor], GREATEST[self.vendor]
        try:
            with transaction.atomic(using=self.using), connections[self.using].cursor() as cursor:
                if self.vendor == "mysql":
                    cursor.execute(
                        f"INSERT INTO {TABLE} (scope, version) VALUES (%s, {now}) "
                        f"ON DUPLICATE KEY UPDATE version = GREATEST(version + 1, VALUES(version))",
                        [scope],
                    )
                    cursor.execute(f"SELECT version FROM {TABLE} WHERE scope = %s", [scope])
                else:
                    cursor.execute(
                        f"INSERT INTO {TABLE} (scope, version) VALUES (%s, {now}) "
                        f"ON CONFLICT (scope) DO UPDATE SET version = {greatest}({TABLE}.version + 1, excluded.version) "
                        f"RETURNING version",
                        [scope],
                    )
                row = cursor.fetchone()
        except Exception as error:
            raise VersionStoreError(f'Bumping the version of "{scope}" failed: {error}', scope) from error
        return str(row[0])
