"""The audit trail: what changed (ChangeEvent), who read what (AccessEvent), and the
sessions each user has open (UserSession, so that disabling a user can end them).

ChangeEvent and AccessEvent are append-only: on PostgreSQL a trigger makes any UPDATE
fail, and any DELETE fail unless the retention job has switched purging on for its own
transaction (``SET LOCAL legami.audit_purge = 'on'``). Actors are referenced without a
database constraint, so an audit row never blocks or follows a change to a user.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legami.roles import Role


def _roles_display(codes: str) -> str:
    labels = dict(Role.choices)
    return ", ".join(str(labels.get(code, code)) for code in codes.split(",") if code)


class ChangeEvent(models.Model):
    """One change to a record: who, when, what changed, from which request."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        STATE = "state", _("state changed")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        related_name="+",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
    )
    actor_label = models.CharField(_("who (as shown then)"), max_length=254, blank=True)
    actor_roles = models.CharField(_("roles"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    target_type = models.CharField(_("record type"), max_length=100)
    target_id = models.CharField(_("record"), max_length=64)
    target_label = models.CharField(_("record (as shown then)"), max_length=254, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    batch = models.UUIDField(
        _("batch"), null=True, blank=True, help_text=_("Shared by the rows of one bulk change.")
    )
    request_id = models.CharField(_("request"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    path = models.CharField(_("page"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering: ClassVar = ["-at", "-id"]
        indexes: ClassVar = [models.Index(fields=["target_type", "target_id", "-at"])]

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M}"
        return f"{when} {self.actor_label} {self.action} {self.target_type}#{self.target_id}"

    def get_actor_roles_display(self) -> str:
        return _roles_display(self.actor_roles)


class AccessEvent(models.Model):
    """One read of personal data: who, in which role, what, why, when, from which request.

    Never the content: only the type and id of what was read. A list page writes one
    row per person shown, all with the same ``request_id``.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        LIST = "list", _("listed")
        EXPORT = "export", _("exported")
        API = "api", _("read through the API")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        related_name="+",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
    )
    actor_label = models.CharField(_("who (as shown then)"), max_length=254, blank=True)
    actor_roles = models.CharField(_("roles"), max_length=200, blank=True)
    actor_organisations = models.CharField(_("organisations"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    target_type = models.CharField(_("record type"), max_length=100)
    target_id = models.CharField(_("record"), max_length=64)
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person concerned (user)"),
        related_name="+",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        help_text=_("The account of the person whose data was read, where there is one."),
    )
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    request_id = models.CharField(_("request"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    path = models.CharField(_("page"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("access")
        verbose_name_plural = _("access log")
        ordering: ClassVar = ["-at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["target_type", "target_id", "-at"]),
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["subject_user", "-at"]),
        ]

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M}"
        return f"{when} {self.actor_label} {self.action} {self.target_type}#{self.target_id}"

    def get_actor_roles_display(self) -> str:
        return _roles_display(self.actor_roles)


class UserSession(models.Model):
    """A session a user opened by logging in; ended when they log out or are disabled."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="legami_sessions", on_delete=models.CASCADE
    )
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        return f"{self.user_id}:{self.session_key[:6]}…"


def new_request_id() -> str:
    return uuid.uuid4().hex
