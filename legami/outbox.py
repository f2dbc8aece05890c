"""Keeping and handing over the background work the broker could not take (see
``legami.models.outbox``)."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

from legami.models import OutboxMessage

logger = logging.getLogger(__name__)

# What sending raises when the broker is down or unreachable.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    KombuOperationalError,
    ConnectionError,
    TimeoutError,
    socket.timeout,
    OSError,
)
# Only what the broker's own options need is kept: where it goes and when.
KEPT_OPTIONS = ("queue", "countdown", "eta", "expires", "priority")
BATCH = 100


def _plain(value: Any) -> Any:
    """``value`` as JSON keeps it (the tasks take JSON arguments anyway)."""
    return json.loads(json.dumps(value, default=str))


def outbox_keep(
    *, task: str, args: Any, kwargs: Any, options: dict[str, Any], error: BaseException
) -> OutboxMessage:
    """Keep a task the broker could not take (its own transaction: the data it talks
    about is already committed — tasks are sent after commit)."""
    kept = {key: options[key] for key in KEPT_OPTIONS if options.get(key) is not None}
    with transaction.atomic():
        return OutboxMessage.objects.create(
            task=task,
            args=_plain(list(args or ())),
            kwargs=_plain(dict(kwargs or {})),
            options=_plain(kept),
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )


def outbox_drain(*, limit: int | None = None) -> int:
    """Hand the kept tasks over to the broker, oldest first, each row once however many
    drains run at the same time (rows are claimed with SKIP LOCKED); stop at the first
    the broker still refuses. The number handed over."""
    from legami.celery import app

    sent = 0
    while limit is None or sent < limit:
        with transaction.atomic():
            batch = list(
                OutboxMessage.objects.select_for_update(skip_locked=True).order_by("pk")[:BATCH]
            )
            if not batch:
                return sent
            for message in batch:
                try:
                    # send_task goes to the broker directly (not through OutboxTask):
                    # a refusal here must not keep a second copy.
                    app.send_task(
                        message.task, args=message.args, kwargs=message.kwargs, **message.options
                    )
                except BROKER_ERRORS as exc:
                    OutboxMessage.objects.filter(pk=message.pk).update(
                        attempts=message.attempts + 1,
                        last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    )
                    logger.warning("broker still unavailable: %s kept in the outbox", message)
                    return sent
                message.delete()
                sent += 1
                if limit is not None and sent >= limit:
                    return sent
    return sent
