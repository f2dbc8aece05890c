"""``manage.py seed_demo [--force]``: a believable network to try Legami with.

Each app contributes its own demo step (see ``legami/demo.py``). The demo logins share
one known password, so the command refuses to run unless DEBUG is on or --force is given.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from legami.demo import DEMO_PASSWORD_DEFAULT, DemoLogin, demo_password, demo_seed


class Command(BaseCommand):
    help = (
        "Fill the database with demo data: the territory, the network's organisations and "
        "one login per role, all with the password from DEMO_PASSWORD (default "
        f"{DEMO_PASSWORD_DEFAULT!r}). Safe to run again. Only with DEBUG=true, or --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off. The demo logins have a known password: "
            "never do this on a database that real people use.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                gettext(
                    "seed_demo creates logins with a known password, so it runs only with "
                    "DEBUG=true. To seed anyway (never on a database that real people use), "
                    "add --force."
                )
            )
        password = demo_password()
        steps = demo_seed(password=password)
        for step in steps:
            for line in step.summary:
                self.stdout.write(f"{step.app}: {line}")
        logins = sorted((login for step in steps for login in step.logins), key=_sort_key)
        self.stdout.write("")
        self.stdout.write(self._table(logins))
        self.stdout.write("")
        if password == DEMO_PASSWORD_DEFAULT:
            note = gettext(
                "Password of every demo login: %(password)s (set DEMO_PASSWORD to change it)"
            )
        else:
            note = gettext("Password of every demo login: %(password)s (from DEMO_PASSWORD)")
        self.stdout.write(self.style.SUCCESS(note % {"password": password}))

    @staticmethod
    def _table(logins: list[DemoLogin]) -> str:
        header = (gettext("E-mail"), gettext("Role"), gettext("Organisation"))
        rows = [(login.email, login.role_label, login.organisation or "—") for login in logins]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [header, tuple("-" * w for w in widths), *rows]
        ]
        return "\n".join(lines)


def _sort_key(login: DemoLogin) -> tuple[int, str]:
    return login.sort_key
