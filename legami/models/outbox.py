"""The outbox: background work that could not be handed to the broker.

When the broker (Redis) does not answer, a task sent by a page, a service or beat is not
lost and the page does not fail: the task is kept here (``legami.celery.OutboxTask``)
and handed to the broker again by ``legami.outbox.outbox_drain`` (beat every minute,
or ``manage.py drain_outbox``) once it answers. Tasks are idempotent (STYLE.md), so a
message handed over twice — the broker took it but the row could not be deleted — still
acts once.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("positional arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    options = models.JSONField(_("sending options"), default=dict)
    created_at = models.DateTimeField(_("kept at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts to hand it over"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering: ClassVar = ["pk"]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"
