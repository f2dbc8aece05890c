"""``manage.py assign_ambiti PATH``: put comuni in their ambiti from a CSV."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from legami.services import TerritoryImportError, comuni_assign_ambiti


class Command(BaseCommand):
    help = (
        "Assign comuni to ambiti from a CSV with the header 'istat_code,ambito' or "
        "'belfiore_code,ambito'; the ambito is named by its code or name, in any case. "
        "All or nothing, and safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The CSV file, e.g. legami/data/ambiti_cremona.csv.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: str = options["path"]
        try:
            with open(path, "rb") as file:
                result = comuni_assign_ambiti(file=file)
        except OSError as exc:
            raise CommandError(
                gettext("Cannot read %(path)s: %(error)s")
                % {"path": path, "error": exc.strerror or exc}
            ) from exc
        except TerritoryImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            gettext("Ambiti assigned from %(path)s: %(summary)s.")
            % {"path": path, "summary": result.summary()}
        )
