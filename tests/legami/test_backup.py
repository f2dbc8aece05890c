"""``manage.py backup`` and ``manage.py restore``: a dump with its manifest, restored into a
new database whose every table has the rows and the content of the backup.

The comparisons here are computed by the tests themselves, not by ``legami.backup``: on
PostgreSQL the count and the checksum of every table through a connection of their own,
on SQLite the rows themselves.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from legami.backup import TableState, backup_create, compare, table_states
from pacts.models import PactStatus
from tests.beneficiaries.factories import DiaryNoteFactory, PersonFactory, assign
from tests.fundraising.factories import DonationFactory
from tests.labs.factories import MeetingFactory
from tests.pacts.factories import pact_in

# The data must be committed for pg_dump, which reads it through a connection of its own.
round_trip = pytest.mark.django_db(transaction=True)
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump and pg_restore are PostgreSQL's"
)
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite backup is the quick start's"
)


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    """The messages are checked in English (the default language is Italian)."""
    with translation.override("en"):
        yield


@pytest.fixture
def data(social_worker, partner_user) -> None:
    """Case files, a pact with its ledger and signatures, a lab meeting and a donation."""
    for _ in range(3):
        case = assign(social_worker)
        DiaryNoteFactory(case=case, author=social_worker)
    pact_in(PactStatus.ACTIVE, worker=social_worker, partner_signer=partner_user)
    PersonFactory(first_name="Zoë", last_name='D\'Angelo "Lino"\nà capo')
    MeetingFactory()
    DonationFactory(amount=Decimal("12.34"))


@pytest.mark.django_db
def test_backup_refuses_an_existing_file(tmp_path: Path) -> None:
    """A backup never overwrites a file."""
    existing = tmp_path / "legami.dump"
    existing.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", output=existing, stdout=StringIO())
    assert existing.read_bytes() == b"keep me"


@round_trip
def test_restore_refuses_a_damaged_dump_or_one_without_manifest(tmp_path: Path) -> None:
    """A dump that is not the one its manifest describes, or has none, is not restored."""
    backup = backup_create(path=tmp_path / "legami.dump")
    target = _new_target(tmp_path)
    with backup.path.open("ab") as file:
        file.write(b"\0")
    with pytest.raises(CommandError, match="does not match its manifest"):
        call_command("restore", backup.path, database=target, stdout=StringIO())
    backup.manifest_path.unlink()
    with pytest.raises(CommandError, match="manifest .* is missing"):
        call_command("restore", backup.path, database=target, stdout=StringIO())


# --- PostgreSQL -----------------------------------------------------------------------------


@pytest.fixture
def restored_name() -> Iterator[str]:
    """The name of a database for the restore, dropped after the test."""
    name = f"{connection.settings_dict['NAME']}_r{uuid.uuid4().hex[:8]}"[-63:]
    yield name
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def _pg_fingerprint(database: str) -> dict[str, tuple[int, str]]:
    """Rows and an md5 checksum of every table of the public schema of ``database``."""
    params = {**connection.get_connection_params(), "dbname": database}
    raw = connection.get_new_connection(params)
    try:
        with raw.cursor() as cursor:
            cursor.execute("SET TimeZone = 'UTC'")
            cursor.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            )
            tables = [row[0] for row in cursor.fetchall()]
            found = {}
            for table in tables:
                cursor.execute(
                    "SELECT count(*), coalesce(md5(string_agg(md5(r::text), '' ORDER BY "  # noqa: S608
                    f"md5(r::text))), md5('')) FROM (SELECT * FROM \"{table}\") AS r"
                )
                rows, checksum = cursor.fetchone()
                found[table] = (rows, checksum)
        raw.rollback()
        return found
    finally:
        raw.close()


def _pg_execute(database: str, sql: str) -> None:
    raw = connection.get_new_connection({**connection.get_connection_params(), "dbname": database})
    try:
        with raw.cursor() as cursor:
            cursor.execute(sql)
        raw.commit()
    finally:
        raw.close()


@round_trip
@postgres_only
def test_postgres_backup_restores_every_table_identically(
    data, tmp_path: Path, restored_name: str
) -> None:
    """The restored database has every table of the original with the same rows and
    content; a row changed after the restore is caught, --force restores it again, and a
    restore that does not match its manifest fails naming the tables."""
    source_name = connection.settings_dict["NAME"]
    source = _pg_fingerprint(source_name)
    assert source["beneficiaries_person"][0] == 5
    assert source["pacts_pact"][0] == 1
    assert source["fundraising_donation"][0] == 1
    assert source["labs_meeting"][0] == 1

    # Given a backup
    out = StringIO()
    call_command("backup", output=tmp_path / "legami.dump", stdout=out)
    dump = tmp_path / "legami.dump"
    assert "Backup written to" in out.getvalue()
    assert dump.stat().st_mode & 0o077 == 0
    manifest = json.loads((tmp_path / "legami.dump.manifest.json").read_text())
    assert manifest["vendor"] == "postgresql"
    assert {name: (t["rows"], t["checksum"]) for name, t in manifest["tables"].items()} == source

    # When it is restored into a new database
    out = StringIO()
    call_command("restore", dump, database=restored_name, stdout=out)

    # Then every table has the same rows and checksum, by the restore's check and ours
    assert f"Restored into {restored_name}: {len(source)} tables" in out.getvalue()
    assert _pg_fingerprint(restored_name) == source
    assert _pg_fingerprint(source_name) == source  # the original is untouched

    # A database that holds tables is not restored into without --force
    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", dump, database=restored_name, stdout=StringIO())

    # A row changed in the restored database is caught
    _pg_execute(
        restored_name,
        "UPDATE beneficiaries_person SET first_name = 'Altro' "
        "WHERE id = (SELECT min(id) FROM beneficiaries_person)",
    )
    expected = {name: (t["rows"], t["checksum"]) for name, t in manifest["tables"].items()}
    assert _pg_fingerprint(restored_name) != expected
    differences = compare(
        backup_states(manifest), table_states(database=restored_name, using="default")
    )
    assert [d.table for d in differences] == ["beneficiaries_person"]
    assert "same number of rows, different content" in differences[0].describe()

    # --force replaces it with the backup again
    call_command("restore", dump, database=restored_name, force=True, stdout=StringIO())
    assert _pg_fingerprint(restored_name) == source

    # A restore that does not match its manifest fails, naming each table that differs
    manifest["tables"]["pacts_pact"]["rows"] += 1
    manifest["tables"]["labs_lab"]["checksum"] = "0" * 32
    (tmp_path / "legami.dump.manifest.json").write_text(json.dumps(manifest))
    err = StringIO()
    with pytest.raises(CommandError, match="2 tables differ from the backup"):
        call_command(
            "restore", dump, database=restored_name, force=True, stdout=StringIO(), stderr=err
        )
    assert "labs_lab: same number of rows, different content" in err.getvalue()
    assert "pacts_pact: 2 rows in the backup, 1 restored" in err.getvalue()


@postgres_only
@pytest.mark.django_db
def test_restore_refuses_an_unusable_database_name(tmp_path: Path) -> None:
    """A PostgreSQL database name that is not a plain identifier is refused."""
    backup = backup_create(path=tmp_path / "legami.dump")
    with pytest.raises(CommandError, match="not a usable database name"):
        call_command("restore", backup.path, database="x dbname=postgres", stdout=StringIO())


@postgres_only
@pytest.mark.django_db
def test_a_failed_restore_leaves_no_new_database(tmp_path: Path, restored_name: str) -> None:
    """When pg_restore fails, the database made for the restore is dropped again."""
    backup = backup_create(path=tmp_path / "legami.dump")
    backup.path.write_bytes(b"PGDMP not really a dump")
    manifest = json.loads(backup.manifest_path.read_text())
    manifest["sha256"] = hashlib.sha256(backup.path.read_bytes()).hexdigest()
    backup.manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="pg_restore failed"):
        call_command("restore", backup.path, database=restored_name, stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [restored_name])
        assert cursor.fetchone()[0] == 0


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    """A connection that reads values as Django's does (its converters are registered for
    every connection that asks for declared types)."""
    return sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)


def _sqlite_rows(cursor: Any, tables: list[str]) -> dict[str, list[str]]:
    """Every row of each table, as text, sorted."""
    found = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
        found[table] = sorted(repr(tuple(row)) for row in cursor.fetchall())
    return found


@round_trip
@sqlite_only
def test_sqlite_backup_restores_every_table_identically(data, tmp_path: Path) -> None:
    """The restored file has every table of the original with the same rows; a row changed
    after the restore is caught, and --force restores it again."""
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        source = _sqlite_rows(cursor, tables)
    assert len(source["beneficiaries_person"]) == 5
    assert len(source["fundraising_donation"]) == 1

    # Given a backup
    call_command("backup", output=tmp_path / "legami.sqlite3", stdout=StringIO())
    dump = tmp_path / "legami.sqlite3"
    manifest = json.loads((tmp_path / "legami.sqlite3.manifest.json").read_text())
    assert {name: t["rows"] for name, t in manifest["tables"].items()} == {
        name: len(rows) for name, rows in source.items()
    }

    # When it is restored into a new file
    target = tmp_path / "restored" / "legami.sqlite3"
    out = StringIO()
    call_command("restore", dump, database=str(target), stdout=out)

    # Then every table has the same rows, by the restore's check and ours
    assert f"Restored into {target}: {len(tables)} tables" in out.getvalue()
    restored = _sqlite_connect(target)
    try:
        assert _sqlite_rows(restored.cursor(), tables) == source
        assert {row[0] for row in restored.execute("PRAGMA journal_mode")} == {"delete"}
    finally:
        restored.close()

    # A file that holds tables is not restored into without --force
    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", dump, database=str(target), stdout=StringIO())

    # A row changed in the restored file is caught
    tampered = sqlite3.connect(target)
    with tampered:
        tampered.execute(
            "UPDATE beneficiaries_person SET first_name = 'Altro' "
            "WHERE id = (SELECT min(id) FROM beneficiaries_person)"
        )
    tampered.close()
    differences = compare(backup_states(manifest), table_states(database=str(target)))
    assert [d.table for d in differences] == ["beneficiaries_person"]

    # --force replaces it with the backup again
    call_command("restore", dump, database=str(target), force=True, stdout=StringIO())
    restored = _sqlite_connect(target)
    try:
        assert _sqlite_rows(restored.cursor(), tables) == source
    finally:
        restored.close()


@round_trip
@sqlite_only
def test_sqlite_restore_fails_and_names_the_tables_that_differ(data, tmp_path: Path) -> None:
    """A restore whose file does not match the manifest exits with an error naming each
    table that differs."""
    backup = backup_create(path=tmp_path / "legami.sqlite3")
    manifest = json.loads(backup.manifest_path.read_text())
    manifest["tables"]["fundraising_donation"]["checksum"] = "0" * 64
    backup.manifest_path.write_text(json.dumps(manifest))

    err = StringIO()
    with pytest.raises(CommandError, match="1 table differs from the backup"):
        call_command(
            "restore",
            backup.path,
            database=str(tmp_path / "restored.sqlite3"),
            stdout=StringIO(),
            stderr=err,
        )
    assert "fundraising_donation: same number of rows, different content" in err.getvalue()


# --- helpers --------------------------------------------------------------------------------


def backup_states(manifest: dict[str, Any]) -> dict[str, TableState]:
    return {
        name: TableState(rows=t["rows"], checksum=t["checksum"])
        for name, t in manifest["tables"].items()
    }


def _new_target(tmp_path: Path) -> str:
    if connection.vendor == "postgresql":
        return f"legami_never_{uuid.uuid4().hex[:8]}"
    return str(tmp_path / "never.sqlite3")
