"""Check database, cache and broker from the command line (container health checks)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from legami import health


class Command(BaseCommand):
    help = "Check that the database, the cache and the Celery broker answer."

    def handle(self, *args: Any, **options: Any) -> None:
        healthy, checks = health.run_checks()
        self.stdout.write(json.dumps(checks))
        if not healthy:
            failed = ", ".join(name for name, c in checks.items() if c["status"] != "ok")
            raise CommandError(f"Not healthy: {failed}")
