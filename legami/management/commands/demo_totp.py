"""``manage.py demo_totp``: the code an authenticator app with the demo secret shows now.

For trying the demo without a phone: the demo logins whose role requires a second factor
use the secret ``DEMO_TOTP_SECRET`` (see ``seed_demo``). The code comes from allauth's own
TOTP functions, so it is the one the login page expects.
"""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from legami.demo import demo_totp_secret


def totp_now(secret: str, at: float | None = None) -> tuple[str, int]:
    """The TOTP code of ``secret`` at ``at`` (default now) and the seconds it has left."""
    now = time.time() if at is None else at
    period = mfa_settings.TOTP_PERIOD
    counter = int(now) // period
    return format_hotp_value(hotp_value(secret, counter)), period - int(now) % period


class Command(BaseCommand):
    help = (
        "Print the current code of the demo authenticator app (the secret DEMO_TOTP_SECRET "
        "that seed_demo gives the demo logins needing a second factor)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--secret", default="", help="Another base32 secret instead of the demo one."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            secret = "".join(options["secret"].split()).upper() or demo_totp_secret()
            code, left = totp_now(secret)
        except (ValueError, TypeError) as exc:
            raise CommandError(gettext("Not a base32 secret: %(error)s") % {"error": exc}) from None
        self.stdout.write(code)
        if options["verbosity"] >= 1:
            self.stderr.write(
                gettext("valid for %(seconds)d more seconds (secret %(secret)s)")
                % {"seconds": left, "secret": secret}
            )
