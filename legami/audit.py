"""Writing the audit trail. Services call these; nothing else writes audit rows.

* ``audit_change`` / ``audit_bulk_change``: a record was created, changed or deleted.
* ``audit_read``: personal data was shown, listed, exported or read through the API.

Who and from where come from the current request (``RequestContextMiddleware`` puts
them in a context variable); a task or a command passes ``actor`` explicitly or is
recorded as the system.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from legami.models import AccessEvent, ChangeEvent
from legami.roles import active_roles

_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


@dataclass
class RequestContext:
    request_id: str
    ip: str | None = None
    path: str = ""
    user: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "legami_request_context", default=None
)


def current_context() -> RequestContext | None:
    return _current.get()


@dataclass(frozen=True)
class AuditBatch:
    id: uuid.UUID
    note: str = ""


_batch: contextvars.ContextVar[AuditBatch | None] = contextvars.ContextVar(
    "legami_audit_batch", default=None
)


@contextmanager
def audit_batch(*, note: str = "") -> Iterator[AuditBatch]:
    """Tie together the changes the services record inside the block (an import, say):
    each ``audit_change`` row gets the batch id, and ``note`` when the service gave
    none. One row per change stays the services' own."""
    batch = AuditBatch(id=uuid.uuid4(), note=note)
    token = _batch.set(batch)
    try:
        yield batch
    finally:
        _batch.reset(token)


@contextmanager
def request_context(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind the proxy of the deployment REMOTE_ADDR is the
    proxy's: the first X-Forwarded-For entry is trusted only when told to
    (``TRUST_X_FORWARDED_FOR``). Anything keyed on the client (a rate limit) uses this."""
    if getattr(settings, "LEGAMI_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Give every request an id (or keep a well-formed X-Request-ID) and make it, the
    client address and the user available to the audit functions."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        ctx = RequestContext(
            request_id=request_id,
            ip=client_ip(request),
            path=request.get_full_path()[:300],
            user=getattr(request, "user", None),
        )
        request.request_id = request_id  # type: ignore[attr-defined]
        with request_context(ctx):
            response = self.get_response(request)
        response.headers["X-Request-ID"] = request_id
        return response


def _actor(actor: Any) -> Any:
    if actor is not None:
        return actor
    ctx = current_context()
    user = ctx.user if ctx else None
    return user if getattr(user, "is_authenticated", False) else None


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None:
        return {"actor": None, "actor_label": "system", "actor_roles": ""}
    return {
        "actor": actor,
        "actor_label": str(getattr(actor, "email", "") or actor)[:254],
        "actor_roles": ",".join(sorted(active_roles(actor)))[:200],
    }


def _request_fields() -> dict[str, Any]:
    ctx = current_context()
    if ctx is None:
        return {"request_id": "", "ip": None, "path": ""}
    return {"request_id": ctx.request_id, "ip": ctx.ip, "path": ctx.path}


def _label(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The current values of ``obj``'s concrete fields (or of ``fields``), JSON-ready."""
    names = (
        list(fields)
        if fields is not None
        else [f.attname for f in obj._meta.concrete_fields if not f.primary_key]
    )
    return {name: _jsonable(getattr(obj, name)) for name in names}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value differs."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def audit_change(
    *,
    obj: models.Model,
    action: str,
    changes: dict[str, Any] | None = None,
    note: str = "",
    actor: Any = None,
    batch: uuid.UUID | None = None,
) -> ChangeEvent:
    """Record that ``obj`` was created, changed, deleted or moved to another state
    (inside ``audit_batch``, under that batch)."""
    current = _batch.get()
    if current is not None:
        batch = batch or current.id
        note = note or current.note
    return ChangeEvent.objects.create(
        **_actor_fields(_actor(actor)),
        **_request_fields(),
        action=action,
        target_type=_label(obj),
        target_id=str(obj.pk),
        target_label=str(obj)[:254],
        changes=changes or {},
        note=note[:500],
        batch=batch,
    )


def audit_bulk_change(
    *,
    objs: Iterable[models.Model],
    action: str,
    changes: dict[str, Any] | Callable[[models.Model], dict[str, Any]],
    note: str = "",
    actor: Any = None,
) -> uuid.UUID:
    """Record one change per object of a bulk operation, tied together by a batch id."""
    batch = uuid.uuid4()
    who = _actor_fields(_actor(actor))
    where = _request_fields()
    ChangeEvent.objects.bulk_create(
        ChangeEvent(
            **who,
            **where,
            action=action,
            target_type=_label(obj),
            target_id=str(obj.pk),
            target_label=str(obj)[:254],
            changes=changes(obj) if callable(changes) else changes,
            note=note[:500],
            batch=batch,
        )
        for obj in objs
    )
    return batch


def audit_read(
    *,
    objs: Iterable[models.Model],
    action: str,
    purpose: str = "",
    actor: Any = None,
    subject_user: Callable[[models.Model], Any] | None = None,
) -> int:
    """Record that the current user read these records (one row each, one query)."""
    who = _actor_fields(_actor(actor))
    organisations = ""
    if who["actor"] is not None:
        organisations = ",".join(
            str(pk)
            for pk in who["actor"]
            .memberships.values_list("organisation_id", flat=True)
            .order_by("organisation_id")
            .distinct()
        )[:200]
    where = _request_fields()
    rows = [
        AccessEvent(
            **who,
            **where,
            actor_organisations=organisations,
            action=action,
            target_type=_label(obj),
            target_id=str(obj.pk),
            subject_user_id=getattr(subject_user(obj), "pk", None) if subject_user else None,
            purpose=purpose[:200],
        )
        for obj in objs
    ]
    AccessEvent.objects.bulk_create(rows)
    return len(rows)


def audit_history(obj: models.Model) -> models.QuerySet[ChangeEvent]:
    """The changes recorded for ``obj``, newest first."""
    return ChangeEvent.objects.filter(target_type=_label(obj), target_id=str(obj.pk))


@contextmanager
def _purging() -> Iterator[None]:
    """A transaction in which the append-only trigger lets DELETEs of audit rows through.

    On PostgreSQL the switch is ``SET LOCAL``: it is turned off again at the end, since
    inside a larger transaction it would otherwise last until that one ends (on an error
    the savepoint's rollback undoes it)."""
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL legami.audit_purge = 'on'")
        yield
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL legami.audit_purge = 'off'")


def audit_purge(*, access_before: dt.datetime, changes_before: dt.datetime | None = None) -> int:
    """Delete access-log rows (and, if given, change rows) older than the limits: the
    retention job. With ``audit_forget``, the only ways audit rows are ever deleted."""
    with _purging():
        deleted, _ = AccessEvent.objects.filter(at__lt=access_before).delete()
        if changes_before is not None:
            more, _ = ChangeEvent.objects.filter(at__lt=changes_before).delete()
            deleted += more
    return deleted


def audit_forget(*, records: Iterable[models.Model]) -> int:
    """Delete the change history of ``records``, whose personal data is being erased
    (anonymisation at the end of retention): the history holds the old values, names
    included. The access log holds no content and is left to its own retention."""
    by_type: dict[str, list[str]] = {}
    for obj in records:
        by_type.setdefault(_label(obj), []).append(str(obj.pk))
    deleted = 0
    with _purging():
        for target_type, ids in by_type.items():
            for start in range(0, len(ids), 500):
                count, _ = ChangeEvent.objects.filter(
                    target_type=target_type, target_id__in=ids[start : start + 500]
                ).delete()
                deleted += count
    return deleted


def retention_limits(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime | None]:
    """The cut-off dates from settings: access log months, change history months (0=keep)."""
    now = now or timezone.now()
    access_months = settings.AUDIT_ACCESS_LOG_RETENTION_MONTHS
    change_months = settings.AUDIT_CHANGE_LOG_RETENTION_MONTHS
    access_before = now - dt.timedelta(days=round(access_months * 30.44))
    change_before = now - dt.timedelta(days=round(change_months * 30.44)) if change_months else None
    return access_before, change_before


def audit_export(*, resource: str, count: int, purpose: str, actor: Any = None) -> AccessEvent:
    """Record one export of ``count`` rows of ``resource`` (the rows themselves are not
    listed: the export's filters are in ``purpose``)."""
    who = _actor_fields(_actor(actor))
    return AccessEvent.objects.create(
        **who,
        **_request_fields(),
        action=AccessEvent.Action.EXPORT,
        target_type=resource,
        target_id=f"export:{count}",
        purpose=purpose[:200],
    )
