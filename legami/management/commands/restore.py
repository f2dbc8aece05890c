"""``manage.py restore FILE [--database NAME] [--force]``: a backup into a new database,
checked table by table against its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext, ngettext

from legami.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by 'manage.py backup' into a new database (on the server of "
        "the configured one; created if missing), then check the number of rows and the "
        "checksum of every table against the backup's manifest. Exits with an error, "
        "naming the tables, when any differs. The configured database is not touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The dump, e.g. var/backups/legami-….dump.")
        parser.add_argument(
            "--database",
            help=(
                "The database to restore into: a name on PostgreSQL (default: "
                "<name>_restored_<UTC time>), a file on SQLite (default: "
                "var/legami-restored-<UTC time>.sqlite3)."
            ),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore even into a database that already holds tables, replacing them.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restore = backup_restore(
                path=options["file"], database=options["database"], force=options["force"]
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if restore.differences:
            for difference in restore.differences:
                self.stderr.write(difference.describe())
            count = len(restore.differences)
            raise CommandError(
                ngettext(
                    "Restored into %(database)s, but %(count)d table differs from the backup.",
                    "Restored into %(database)s, but %(count)d tables differ from the backup.",
                    count,
                )
                % {"database": restore.database, "count": count}
            )
        self.stdout.write(
            gettext(
                "Restored into %(database)s: %(tables)d tables, every one with the rows and "
                "checksum of the backup."
            )
            % {"database": restore.database, "tables": len(restore.tables)}
        )
