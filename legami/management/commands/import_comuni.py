"""``manage.py import_comuni --province CR [--istat-csv PATH]``: load or refresh the comuni."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from legami.services import (
    ImportResult,
    TerritoryImportError,
    comuni_import_from_codicefiscale,
    comuni_import_from_istat_csv,
)


class Command(BaseCommand):
    help = (
        "Import the comuni of a province: the active municipalities that python-codicefiscale "
        "ships, or, with --istat-csv, ISTAT's 'Elenco comuni italiani' CSV (which adds the "
        "ISTAT codes). All or nothing, and safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--province",
            help="Two-letter province code, e.g. CR. Required without --istat-csv; "
            "with it, limits the import to that province.",
        )
        parser.add_argument(
            "--istat-csv",
            metavar="PATH",
            help="ISTAT's CSV of comuni (semicolon-separated, Windows-1252 or UTF-8).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        province: str | None = options["province"]
        path: str | None = options["istat_csv"]
        scope = province.strip().upper() if province else gettext("all provinces")
        try:
            if path:
                result = self._import_istat(path, province)
                message = gettext("Comuni of %(scope)s from the ISTAT list %(path)s: %(summary)s.")
            elif province:
                result = comuni_import_from_codicefiscale(province=province)
                message = gettext("Comuni of %(scope)s from the codicefiscale data: %(summary)s.")
            else:
                raise CommandError(gettext("Give --province (e.g. --province CR)."))
        except TerritoryImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(message % {"scope": scope, "path": path, "summary": result.summary()})

    @staticmethod
    def _import_istat(path: str, province: str | None) -> ImportResult:
        try:
            with open(path, "rb") as file:
                return comuni_import_from_istat_csv(file=file, province=province)
        except OSError as exc:
            raise CommandError(
                gettext("Cannot read %(path)s: %(error)s")
                % {"path": path, "error": exc.strerror or exc}
            ) from exc
