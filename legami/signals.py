"""Receivers of the core: they hand over to services, and hold no rules of their own.

Every login (allauth's pages, the admin, ``Client.force_login`` in tests) goes through
``django.contrib.auth.login``, which sends ``user_logged_in``; logging out sends
``user_logged_out`` before the session is flushed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from legami.audit import client_ip, current_context
from legami.security import session_mark_login
from legami.services.users import user_session_end, user_session_start


def _client_ip(request: HttpRequest) -> str | None:
    # The request context knows the client's address behind the proxy; a test login has
    # no request context.
    ctx = current_context()
    if ctx is not None:
        return ctx.ip
    return client_ip(request)


@receiver(user_logged_in, dispatch_uid="legami.session_started")
def session_started(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if request is None or session is None:
        return
    if session.session_key is None:
        # Logging in over another person's session flushes it: give the new one its key now.
        session.save()
    session_mark_login(request)
    if session.session_key:
        user_session_start(
            user=user,
            session_key=session.session_key,
            ip=_client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )


@receiver(user_logged_out, dispatch_uid="legami.session_ended")
def session_ended(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        user_session_end(session_key=key)
