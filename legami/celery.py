"""The Celery application of Legami.

Tasks are declared in each app's ``tasks.py`` with an explicit name, and are sent after
the surrounding transaction commits (``task.delay_on_commit(...)``), never before.

Every task is an ``OutboxTask``: when the broker does not answer, sending it keeps it in
the outbox (``legami.models.OutboxMessage``) instead of failing the page, the service or
beat that sent it; ``legami.outbox.outbox_drain`` hands it over once the broker is back.
"""

import logging
import os
from typing import Any

from celery import Celery
from celery.contrib.django.task import DjangoTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "legami.settings")

logger = logging.getLogger(__name__)


class OutboxTask(DjangoTask):
    """A task that is kept in the outbox when the broker cannot take it (a ``DjangoTask``,
    the class Celery gives Django projects: ``delay_on_commit`` and friends)."""

    def apply_async(  # type: ignore[override]
        self, args: Any = None, kwargs: Any = None, **options: Any
    ) -> Any:
        from legami.outbox import BROKER_ERRORS, outbox_keep

        if self.app.conf.task_always_eager:
            return super().apply_async(args, kwargs, **options)
        try:
            return super().apply_async(args, kwargs, **options)
        except BROKER_ERRORS as exc:
            logger.warning("broker unavailable: task %s kept in the outbox (%s)", self.name, exc)
            outbox_keep(task=self.name, args=args, kwargs=kwargs, options=options, error=exc)
            return None


app = Celery("legami", task_cls=OutboxTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
