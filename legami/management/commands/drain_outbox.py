"""``manage.py drain_outbox``: hand over to the broker the tasks kept in the outbox while
it did not answer (beat does it every minute; this is for operators, e.g. after a long
broker outage when beat itself could not run)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from legami.models import OutboxMessage
from legami.outbox import outbox_drain


class Command(BaseCommand):
    help = "Hand over to the broker the background tasks kept while it did not answer."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = outbox_drain()
        left = OutboxMessage.objects.count()
        self.stdout.write(
            gettext("%(sent)s tasks handed over to the broker, %(left)s still kept.")
            % {"sent": sent, "left": left}
        )
