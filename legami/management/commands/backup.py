"""``manage.py backup [--output FILE]``: a dump of the database with its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from legami.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database: a dump (pg_dump's custom format on PostgreSQL, a copy of "
        "the file on SQLite) and, beside it, a manifest with the number of rows and a "
        "checksum of every table, taken from the same snapshot."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            type=Path,
            help="The dump to write (default: var/backups/legami-<UTC time>.dump).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup = backup_create(path=options["output"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            gettext("Backup written to %(path)s: %(tables)d tables, %(rows)d rows.")
            % {"path": backup.path, "tables": len(backup.tables), "rows": backup.rows}
        )
        self.stdout.write(gettext("Manifest: %(path)s") % {"path": backup.manifest_path})
