"""Services for accounts and their sessions.

Every login is recorded as a ``UserSession`` (by the ``user_logged_in`` receiver in
``legami/signals.py``) and forgotten on logout, so that disabling a person can end every
session they have open, whatever the session store (database or cache).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied
from django.db import transaction
from rest_framework.authtoken.models import Token

from legami.audit import audit_change, diff, snapshot
from legami.models import User, UserSession
from legami.policy import Action, require


def _session_store(session_key: str | None = None) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(session_key=session_key)
    return store


def user_session_start(
    *, user: User, session_key: str, ip: str | None = None, user_agent: str = ""
) -> UserSession:
    """Record that ``user`` logged in with the session ``session_key``."""
    with transaction.atomic():
        session, _created = UserSession.objects.update_or_create(
            session_key=session_key,
            defaults={"user": user, "ip": ip or None, "user_agent": user_agent[:300]},
        )
    return session


def user_session_rekey(*, old_key: str, new_key: str) -> None:
    """Follow a session whose key changed (Django gives a new key on a password change)."""
    with transaction.atomic():
        UserSession.objects.filter(session_key=new_key).exclude(session_key=old_key).delete()
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def user_session_end(*, session_key: str) -> None:
    """Forget the record of a session that ended (the person logged out)."""
    with transaction.atomic():
        UserSession.objects.filter(session_key=session_key).delete()


def user_sessions_end_all(*, user: User) -> int:
    """End every session ``user`` has open: delete each from the session store and forget
    its record. Returns how many there were."""
    with transaction.atomic():
        keys = list(
            UserSession.objects.select_for_update()
            .filter(user=user)
            .values_list("session_key", flat=True)
        )
        for key in keys:
            _session_store(key).delete()
        UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def user_sessions_prune() -> int:
    """Forget the records of sessions that are no longer in the store (expired, or cleared).
    Returns how many records went."""
    store = _session_store()
    gone = [
        pk
        for pk, key in UserSession.objects.values_list("pk", "session_key").iterator()
        if not store.exists(key)
    ]
    with transaction.atomic():
        deleted, _ = UserSession.objects.filter(pk__in=gone).delete()
    return deleted


def user_deactivate(*, user: User, actor: User | None = None) -> User:
    """Disable ``user``: they can no longer log in, every session they have open ends at
    once, and their API tokens are revoked. Written to the audit trail."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        was_active = user.is_active
        if was_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
        sessions = user_sessions_end_all(user=user)
        tokens, _ = Token.objects.filter(user=user).delete()
        if was_active or sessions or tokens:
            audit_change(
                obj=user,
                action="state",
                changes={"is_active": [was_active, False]},
                note=f"deactivated; sessions ended: {sessions}; API tokens revoked: {tokens}",
                actor=actor,
            )
    return user


def user_reactivate(*, user: User, actor: User | None = None) -> User:
    """Enable ``user`` again: they can log in (their old sessions and tokens stay gone).
    Written to the audit trail."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
            audit_change(
                obj=user,
                action="state",
                changes={"is_active": [False, True]},
                note="reactivated",
                actor=actor,
            )
    return user


USER_PROFILE_FIELDS = ("email", "first_name", "last_name", "language")
USER_PRIVILEGE_FIELDS = ("is_staff", "is_superuser")


def user_update(*, user: User, actor: User, data: dict[str, Any]) -> User:
    """Change a user's profile (``USER_PROFILE_FIELDS``), as the access policy allows
    ``actor``; the Django staff and superuser flags only by a superuser, and never on
    their own account. Activation has its own services. Audited."""
    unknown = set(data) - {*USER_PROFILE_FIELDS, *USER_PRIVILEGE_FIELDS}
    if unknown:
        raise ValueError(f"user_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        require(actor, Action.CHANGE, current)
        before = snapshot(current, data.keys())
        privileged = {k for k in data if k in USER_PRIVILEGE_FIELDS and data[k] != before[k]}
        if privileged and (not actor.is_superuser or actor.pk == current.pk):
            raise PermissionDenied
        for name, value in data.items():
            setattr(current, name, value)
        current.full_clean(exclude=["password"])
        changes = diff(before, snapshot(current, data.keys()))
        if changes:
            current.save(update_fields=list(changes))
            audit_change(obj=current, action="update", changes=changes, actor=actor)
    return current
