"""``manage.py load_territory``: the network's default territory, for a new installation."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from legami.services import territory_load_default


class Command(BaseCommand):
    help = (
        "Load the default territory of the Well-fare Legami network: the three ambiti, the "
        "comuni of the province of Cremona and the ambito of each. Safe to run again; "
        "corrections made since in the admin are overwritten only for the comuni listed "
        "in the project's data file."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for part, result in territory_load_default().items():
            self.stdout.write(
                gettext("%(part)s: %(summary)s") % {"part": part, "summary": result.summary()}
            )
