"""Background tasks of the core.

The contract for every task in Legami (see STYLE.md): an explicit name, primary keys as
arguments, a quiet return when the row is gone, bounded retries on transient errors only,
and a unique key or status field so that a re-delivered task acts once. Tasks are sent
with ``task.delay_on_commit(...)`` so that nothing leaves before the data it talks about
is committed.
"""

from __future__ import annotations

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(name="legami.ping")
def ping() -> str:
    """Answer 'pong': lets operators and tests check that a worker consumes the broker."""
    return "pong"


@shared_task(name="legami.clear_expired_sessions")
def clear_expired_sessions() -> int:
    """Delete expired sessions from the database, then the records (``UserSession``) of
    sessions no longer in the store; safe to run twice. Returns how many sessions went."""
    from legami.services.users import user_sessions_prune

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    user_sessions_prune()
    return deleted


@shared_task(name="legami.audit_retention")
def audit_retention() -> int:
    """Delete audit rows older than the configured retention; safe to run twice."""
    from legami.audit import audit_purge, retention_limits

    access_before, changes_before = retention_limits()
    return audit_purge(access_before=access_before, changes_before=changes_before)


@shared_task(name="legami.drain_outbox")
def drain_outbox() -> int:
    """Hand over to the broker the tasks kept while it did not answer (every minute)."""
    from legami.outbox import outbox_drain

    return outbox_drain()
