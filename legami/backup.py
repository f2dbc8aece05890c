"""Backups of the database, and their restore into a new database checked table by table.

``backup_create`` writes a dump of the configured database and, next to it, a manifest
(JSON): the number of rows and a checksum of the content of every table, taken from the
very state the dump holds. ``backup_restore`` restores a dump into a new database and
compares every table of it with the manifest.

On PostgreSQL the dump is ``pg_dump --format=custom``, run on a snapshot exported by a
REPEATABLE READ transaction that also computes the manifest; the checksum of a table is
``md5`` of its rows' ``md5``, sorted. On SQLite (the quick start) the dump is a copy made
with SQLite's online backup API and the manifest is computed on the copy, over the rows
ordered by primary key. Connection details never appear on a command line: the
PostgreSQL client tools read them, password included, from their environment.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
import subprocess  # noqa: S404 (pg_dump and pg_restore are run without a shell)
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext, ngettext

MANIFEST_FORMAT = 1
_POSTGRES_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$")
# Whether the database holds any table, view or sequence outside the server's catalogue.
_HOLDS_OBJECTS = (
    "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_' "
    "AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f'))"
)
# The database's tables, but those that belong to an extension (they are the extension's).
_TABLES = (
    "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_' "
    "AND c.relkind IN ('r', 'p') AND NOT EXISTS (SELECT 1 FROM pg_depend d "
    "WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') "
    "ORDER BY 1, 2"
)
# pg_restore into a database of the configured user, all or nothing.
_PG_RESTORE = [
    "pg_restore",
    "--no-password",
    "--exit-on-error",
    "--single-transaction",
    "--no-owner",
    "--no-privileges",
]
# Session settings that decide how a row is written as text: fixed, so that the checksum
# of a table does not depend on the server's or the role's defaults.
_TEXT_SETTINGS = (
    "SET LOCAL TimeZone = 'UTC'",
    "SET LOCAL DateStyle = 'ISO, YMD'",
    "SET LOCAL IntervalStyle = 'postgres'",
    "SET LOCAL extra_float_digits = 1",
    "SET LOCAL bytea_output = 'hex'",
)


class BackupError(Exception):
    """A backup or a restore that cannot be made; the message says why."""


@dataclass(frozen=True)
class TableState:
    rows: int
    checksum: str


@dataclass(frozen=True)
class Difference:
    """A table whose rows or content differ between the backup and a database."""

    table: str
    expected: TableState | None
    found: TableState | None

    def describe(self) -> str:
        if self.found is None:
            return gettext("%(table)s: missing from the restored database") % {"table": self.table}
        if self.expected is None:
            return gettext("%(table)s: not in the backup") % {"table": self.table}
        if self.expected.rows != self.found.rows:
            return ngettext(
                "%(table)s: %(expected)d row in the backup, %(found)d restored",
                "%(table)s: %(expected)d rows in the backup, %(found)d restored",
                self.expected.rows,
            ) % {
                "table": self.table,
                "expected": self.expected.rows,
                "found": self.found.rows,
            }
        return gettext("%(table)s: same number of rows, different content") % {"table": self.table}


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest_path: Path
    tables: dict[str, TableState]

    @property
    def rows(self) -> int:
        return sum(state.rows for state in self.tables.values())


@dataclass(frozen=True)
class Restore:
    database: str
    tables: dict[str, TableState]
    differences: list[Difference]


def manifest_path_for(path: Path) -> Path:
    """The manifest that goes with the dump at ``path``."""
    return path.with_name(path.name + ".manifest.json")


def compare(expected: dict[str, TableState], found: dict[str, TableState]) -> list[Difference]:
    """The tables that differ between two manifests, by name."""
    return [
        Difference(table=name, expected=expected.get(name), found=found.get(name))
        for name in sorted(expected.keys() | found.keys())
        if expected.get(name) != found.get(name)
    ]


def table_states(*, database: str | None = None, using: str = "default") -> dict[str, TableState]:
    """Rows and checksum of every table of the database of ``using`` (or of another
    database on the same server: a PostgreSQL name or a SQLite path)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with _postgres_snapshot(connection, database or connection.settings_dict["NAME"]) as cur:
            return _postgres_states(cur, connection)
    if connection.vendor == "sqlite":
        if database is None:
            raise BackupError(gettext("Name the SQLite file to read."))
        return _sqlite_states(Path(database))
    raise _unsupported(connection)


def backup_create(*, path: Path | None = None, using: str = "default") -> Backup:
    """Dump the database of ``using`` to ``path`` (by default
    ``var/backups/legami-<UTC time>.dump``, ``.sqlite3`` on SQLite) and write its manifest
    beside it. Both files appear whole or not at all, readable by their owner only."""
    connection = connections[using]
    if connection.vendor not in {"postgresql", "sqlite"}:
        raise _unsupported(connection)
    stamp = utc_stamp()
    if path is None:
        suffix = ".dump" if connection.vendor == "postgresql" else ".sqlite3"
        path = Path(settings.VAR_DIR) / "backups" / f"legami-{stamp}{suffix}"
    path = path.absolute()
    manifest_path = manifest_path_for(path)
    for existing in (path, manifest_path):
        if existing.exists():
            raise BackupError(
                gettext("%(path)s already exists: choose another file.") % {"path": existing}
            )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _temporary_beside(path) as temporary:
        if connection.vendor == "postgresql":
            tables = _postgres_dump(connection, temporary)
        else:
            tables = _sqlite_dump(connection, temporary)
        manifest = {
            "format": MANIFEST_FORMAT,
            "vendor": connection.vendor,
            "database": _database_label(connection),
            "created_at": timezone.now().isoformat(),
            "file": path.name,
            "size": temporary.stat().st_size,
            "sha256": _sha256(temporary),
            "tables": {
                name: {"rows": state.rows, "checksum": state.checksum}
                for name, state in tables.items()
            },
        }
        # The manifest first, the dump last: a dump under its final name always has one.
        with _temporary_beside(manifest_path) as manifest_temporary:
            manifest_temporary.write_text(json.dumps(manifest, indent=2) + "\n")
            os.replace(manifest_temporary, manifest_path)
        os.replace(temporary, path)
    return Backup(path=path, manifest_path=manifest_path, tables=tables)


def backup_restore(
    *, path: Path, database: str | None = None, force: bool = False, using: str = "default"
) -> Restore:
    """Restore the dump at ``path`` into ``database`` (a PostgreSQL name on the server of
    ``using``, created if missing; a SQLite path), then compare every table with the
    manifest. A database that already holds tables is replaced only with ``force``."""
    connection = connections[using]
    manifest = _read_manifest(path)
    if manifest["vendor"] != connection.vendor:
        raise BackupError(
            gettext("%(path)s is a %(dumped)s backup; the configured database is %(configured)s.")
            % {"path": path, "dumped": manifest["vendor"], "configured": connection.vendor}
        )
    if _sha256(path) != manifest["sha256"]:
        raise BackupError(
            gettext("%(path)s does not match its manifest: the file is damaged or incomplete.")
            % {"path": path}
        )
    expected = {
        name: TableState(rows=int(state["rows"]), checksum=str(state["checksum"]))
        for name, state in manifest["tables"].items()
    }
    stamp = utc_stamp()
    if connection.vendor == "postgresql":
        if database is None:
            suffix = f"_restored_{stamp.lower()}"
            database = str(manifest["database"])[: 63 - len(suffix)] + suffix
        _postgres_restore(connection, path, database, force=force)
    else:
        if database is None:
            database = str(Path(settings.VAR_DIR) / f"legami-restored-{stamp}.sqlite3")
        database = str(Path(database).absolute())
        _sqlite_restore(path, Path(database), force=force)
    found = table_states(database=database, using=using)
    return Restore(database=database, tables=found, differences=compare(expected, found))


# --- PostgreSQL -----------------------------------------------------------------------------


def _postgres_dump(connection: BaseDatabaseWrapper, file: Path) -> dict[str, TableState]:
    with _postgres_snapshot(connection, connection.settings_dict["NAME"]) as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(
            connection,
            ["pg_dump", "--format=custom", "--no-password", f"--snapshot={snapshot}", "--file"],
            file=file,
        )
        return _postgres_states(cursor, connection)


def _postgres_restore(
    connection: BaseDatabaseWrapper, file: Path, database: str, *, force: bool
) -> None:
    if not _POSTGRES_NAME.match(database):
        raise BackupError(
            gettext(
                "%(name)s is not a usable database name: use up to 63 letters, digits, "
                "underscores and hyphens, starting with a letter or an underscore."
            )
            % {"name": database}
        )
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        exists = cursor.fetchone() is not None
        if not exists:
            cursor.execute(
                f"CREATE DATABASE {connection.ops.quote_name(database)} TEMPLATE template0"
            )
    clean: list[str] = []
    if exists and _postgres_holds_objects(connection, database):
        if not force:
            raise BackupError(
                gettext(
                    "The database %(name)s is not empty: restore into a new database, or "
                    "add --force to replace what it holds with the backup."
                )
                % {"name": database}
            )
        clean = ["--clean", "--if-exists"]
    try:
        _run(connection, _PG_RESTORE + clean + [f"--dbname={database}"], file=file)
    except BackupError:
        if not exists:  # Leave nothing behind: the database was made for this restore.
            with connection._nodb_cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(database)}")
        raise


def _postgres_holds_objects(connection: BaseDatabaseWrapper, database: str) -> bool:
    with _postgres_snapshot(connection, database) as cursor:
        cursor.execute(_HOLDS_OBJECTS)
        return bool(cursor.fetchone()[0])


@contextlib.contextmanager
def _postgres_snapshot(connection: BaseDatabaseWrapper, database: str) -> Iterator[Any]:
    """A cursor in a read-only REPEATABLE READ transaction on ``database``, through a
    connection of its own (the caller's connection and its transaction stay as they are)."""
    own = type(connection)({**connection.settings_dict, "NAME": database}, "legami_backup")
    try:
        with own.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try:
                for statement in _TEXT_SETTINGS:
                    cursor.execute(statement)
                yield cursor
            finally:
                cursor.execute("ROLLBACK")
    finally:
        own.close()


def _postgres_states(cursor: Any, connection: BaseDatabaseWrapper) -> dict[str, TableState]:
    cursor.execute(_TABLES)
    quote = connection.ops.quote_name
    states: dict[str, TableState] = {}
    for schema, table in cursor.fetchall():
        # Identifiers come from the catalogue and are quoted; rows are hashed as their text.
        cursor.execute(
            "SELECT count(*), coalesce(md5(string_agg(md5(ROW(t.*)::text), '' "  # noqa: S608
            f"ORDER BY md5(ROW(t.*)::text))), md5('')) FROM {quote(schema)}.{quote(table)} AS t"
        )
        rows, checksum = cursor.fetchone()
        states[table if schema == "public" else f"{schema}.{table}"] = TableState(
            rows=int(rows), checksum=str(checksum)
        )
    return states


def _run(connection: BaseDatabaseWrapper, command: list[str], *, file: Path) -> None:
    """Run a PostgreSQL client tool on ``file`` with the connection of ``connection`` in
    its environment (PGHOST, PGPASSWORD…), never on its command line."""
    params = connection.settings_dict
    options = params.get("OPTIONS") or {}
    environment = {
        "PGHOST": params.get("HOST"),
        "PGPORT": params.get("PORT"),
        "PGUSER": params.get("USER"),
        "PGPASSWORD": params.get("PASSWORD"),
        "PGDATABASE": params.get("NAME"),
        "PGSSLMODE": options.get("sslmode"),
        "PGSSLROOTCERT": options.get("sslrootcert"),
        "PGSSLCERT": options.get("sslcert"),
        "PGSSLKEY": options.get("sslkey"),
        "PGPASSFILE": options.get("passfile"),
        "PGSERVICE": options.get("service"),
    }
    env = {**os.environ, **{key: str(value) for key, value in environment.items() if value}}
    try:
        result = subprocess.run(  # noqa: S603 (a fixed program and arguments, no shell)
            [*command, str(file)], env=env, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise BackupError(
            gettext(
                "%(program)s was not found: install the PostgreSQL client tools of the "
                "server's version (on Debian, the postgresql-client package)."
            )
            % {"program": command[0]}
        ) from exc
    if result.returncode != 0:
        raise BackupError(
            gettext("%(program)s failed: %(error)s")
            % {"program": command[0], "error": result.stderr.strip() or result.returncode}
        )


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_dump(connection: BaseDatabaseWrapper, file: Path) -> dict[str, TableState]:
    if connection.in_atomic_block:
        # SQLite's backup would wait forever for the transaction of its own connection.
        raise BackupError(gettext("A backup cannot be made inside a transaction."))
    connection.ensure_connection()
    _sqlite_copy(connection.connection, file)
    return _sqlite_states(file)


def _sqlite_restore(file: Path, database: Path, *, force: bool) -> None:
    if database.exists() and _sqlite_states(database):
        if not force:
            raise BackupError(
                gettext(
                    "The database %(name)s is not empty: restore into a new file, or add "
                    "--force to replace what it holds with the backup."
                )
                % {"name": database}
            )
        # Into the live file, through SQLite: it takes the locks and minds its journal.
        source = sqlite3.connect(file)
        try:
            _sqlite_copy(source, database)
        finally:
            source.close()
        return
    database.parent.mkdir(parents=True, exist_ok=True)
    with _temporary_beside(database) as temporary:
        source = sqlite3.connect(file)
        try:
            _sqlite_copy(source, temporary)
        finally:
            source.close()
        os.replace(temporary, database)


def _sqlite_copy(source: sqlite3.Connection, file: Path) -> None:
    """Copy the database of ``source`` into ``file`` with the online backup API, as one
    self-contained file (no write-ahead log beside it)."""
    target = sqlite3.connect(file)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()


def _sqlite_states(file: Path) -> dict[str, TableState]:
    db = sqlite3.connect(file)
    db.text_factory = bytes
    try:
        names = [
            row[0].decode()
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
            )
        ]
        states: dict[str, TableState] = {}
        for name in names:
            table = '"' + name.replace('"', '""') + '"'
            columns = db.execute(f"PRAGMA table_info({table})").fetchall()
            keys = sorted((column[5], column[0]) for column in columns if column[5])
            # By primary key; a table without one, by all its columns.
            order = [cid + 1 for _, cid in keys] or [column[0] + 1 for column in columns]
            digest = hashlib.sha256()
            rows = 0
            query = f"SELECT * FROM {table} ORDER BY {', '.join(map(str, order))}"  # noqa: S608
            for row in db.execute(query):
                digest.update(repr(row).encode() + b"\n")
                rows += 1
            states[name] = TableState(rows=rows, checksum=digest.hexdigest())
        return states
    finally:
        db.close()


# --- Files ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    """A new file, readable by its owner only, in the folder of ``path``; gone afterwards
    unless it has been moved to ``path``."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


def _read_manifest(path: Path) -> dict[str, Any]:
    manifest_path = manifest_path_for(path)
    if not path.is_file():
        raise BackupError(gettext("%(path)s does not exist.") % {"path": path})
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise BackupError(
            gettext("The manifest %(path)s is missing: without it the restore cannot be checked.")
            % {"path": manifest_path}
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupError(
            gettext("Cannot read the manifest %(path)s: %(error)s")
            % {"path": manifest_path, "error": exc}
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(
            gettext("%(path)s is not a manifest this version of Legami knows.")
            % {"path": manifest_path}
        )
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _database_label(connection: BaseDatabaseWrapper) -> str:
    name = str(connection.settings_dict["NAME"])
    return name if connection.vendor == "postgresql" else Path(name).stem or "legami"


def _unsupported(connection: BaseDatabaseWrapper) -> BackupError:
    return BackupError(
        gettext("Backups are made of PostgreSQL and SQLite databases, not %(vendor)s.")
        % {"vendor": connection.vendor}
    )


def utc_stamp(moment: dt.datetime | None = None) -> str:
    """``20260131T120000Z``: the time of a backup in its file name."""
    return (moment or timezone.now()).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
