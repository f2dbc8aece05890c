"""``manage.py seed_demo [--force]``: a believable network to try Legami with.

Each app contributes its own demo step (see ``legami/demo.py``). The demo logins share
one known password, so the command refuses to run unless DEBUG is on or --force is given.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from legami.demo import (
    DEMO_PASSWORD_DEFAULT,
    DEMO_TOTP_SECRET_DEFAULT,
    DemoLogin,
    demo_password,
    demo_seed,
    demo_totp_secret,
)


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
        try:
            totp_secret = demo_totp_secret()
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        steps = demo_seed(password=password, totp_secret=totp_secret)
        for step in steps:
            for line in step.summary:
                self.stdout.write(f"{step.app}: {line}")
        logins = sorted((login for step in steps for login in step.logins), key=_sort_key)
        second_factor = {email for step in steps for email in step.second_factor}
        self.stdout.write("")
        self.stdout.write(self._table(logins, second_factor))
        self.stdout.write("")
        if password == DEMO_PASSWORD_DEFAULT:
            note = gettext(
                "Password of every demo login: %(password)s (set DEMO_PASSWORD to change it)"
            )
        else:
            note = gettext("Password of every demo login: %(password)s (from DEMO_PASSWORD)")
        self.stdout.write(self.style.SUCCESS(note % {"password": password}))
        if second_factor:
            if totp_secret == DEMO_TOTP_SECRET_DEFAULT:
                note = gettext(
                    "Logins marked TOTP also ask for a code from an authenticator app with "
                    "the secret %(secret)s (set DEMO_TOTP_SECRET to change it)."
                )
            else:
                note = gettext(
                    "Logins marked TOTP also ask for a code from an authenticator app with "
                    "the secret %(secret)s (from DEMO_TOTP_SECRET)."
                )
            self.stdout.write(self.style.SUCCESS(note % {"secret": totp_secret}))
            self.stdout.write(
                gettext(
                    "Add the secret to an authenticator app, or print the current code with: "
                    "python manage.py demo_totp"
                )
            )

    @staticmethod
    def _table(logins: list[DemoLogin], second_factor: set[str]) -> str:
        header = (
            gettext("E-mail"),
            gettext("Role"),
            gettext("Organisation"),
            gettext("Second factor"),
        )
        rows = [
            (
                login.email,
                login.role_label,
                login.organisation or "—",
                "TOTP" if login.email in second_factor else "—",
            )
            for login in logins
        ]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [header, tuple("-" * w for w in widths), *rows]
        ]
        return "\n".join(lines)


def _sort_key(login: DemoLogin) -> tuple[int, str]:
    return login.sort_key
