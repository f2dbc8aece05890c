"""The bank statements pages of the fundraisers' desk, under /fundraising/gestione/banca/.

- ``bank``: the statements imported (newest first), how many credits wait for review,
  and the form to upload a statement (camt.053 XML or CSV) for one of the user's
  organisations (``bank_import``).
- ``bank_statement``: a statement's result and its credits with their status and the
  gift each paid; while it is being imported, a progress bar that htmx refreshes every
  second from ``bank_statement_status``.
- ``bank_review``: the credits that did not match by themselves, each with the pledged
  gifts it may pay (closest first); ``bank_entry`` is one credit with its three answers:
  the pledge it pays (``bank_entry_confirm``), a new gift nobody pledged online
  (``bank_entry_gift``), not a gift (``bank_entry_ignore``).

Why the import runs in the background: importing a generated CSV of 5,000 credits
(against 5,000 pledges) with ``statement_import`` took 85 s on SQLite and 71 s on
PostgreSQL, mostly matching and receiving gift by gift (about 15 ms a credit); a year of
a busy account is beyond what a request may take. So the upload reads the file in the
request (a file that cannot be read is refused there, 400, nothing stored) and a Celery
task (``fundraising.import_statement``, claimed once) imports it in batches, writing its
progress on the statement. The same file again changes nothing: the page says it was
already imported and shows the earlier result.

Who: fundraisers of the statement's organisation; network administrators read and
change nothing (403 on every change); anybody else 403; a statement or credit of
another organisation does not exist (404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fundraising.forms_bank import EntryConfirmForm, EntryGiftForm, StatementUploadForm
from fundraising.models import BankEntry, BankStatement, EntryStatus, ImportStatus
from fundraising.receipt_pdf import euro
from fundraising.services import reconciliation
from fundraising.views.manage import desk_orgs, may_change_any, me, require_desk
from legami.forms import add_service_errors
from legami.policy import Action, allowed, visible_to

STATEMENTS_PER_PAGE = 20
ENTRIES_PER_PAGE = 50
REVIEW_PER_PAGE = 20
ACTIVE = (ImportStatus.QUEUED, ImportStatus.RUNNING)


def may_import(user: Any) -> bool:
    orgs = desk_orgs(user)
    first = orgs.first()
    return first is not None and allowed(user, Action.CREATE, BankStatement(organisation=first))


def bank_page(
    request: HttpRequest, form: StatementUploadForm | None = None, status: int = 200
) -> HttpResponse:
    user = me(request)
    statements = (
        visible_to(user, BankStatement, Action.LIST)
        .select_related("organisation", "imported_by")
        .annotate(
            waiting=Count("entries", filter=Q(entries__status=EntryStatus.UNMATCHED)),
        )
        .order_by("-imported_at", "-pk")
    )
    page = Paginator(statements, STATEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    to_review = (
        visible_to(user, BankEntry, Action.LIST).filter(status=EntryStatus.UNMATCHED).count()
    )
    can_import = may_import(user)
    if form is None and can_import:
        form = StatementUploadForm(organisations=desk_orgs(user))
    return render(
        request,
        "fundraising/manage/bank_list.html",
        {
            "page": page,
            "statements": page.object_list,
            "to_review": to_review,
            "form": form if can_import else None,
            "max_mb": reconciliation.MAX_STATEMENT_BYTES // (1024 * 1024),
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def bank(request: HttpRequest) -> HttpResponse:
    """The statements imported, newest first, and the upload form."""
    require_desk(request)
    return bank_page(request)


@never_cache
@login_required
@require_POST
def bank_import(request: HttpRequest) -> HttpResponse:
    """Upload a statement: read here, imported by a task (its page shows the progress)."""
    require_desk(request)
    user = me(request)
    if not may_import(user):
        raise PermissionDenied
    form = StatementUploadForm(request.POST, request.FILES, organisations=desk_orgs(user))
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = reconciliation.statement_upload(
                organisation=form.cleaned_data["organisation"],
                by=user,
                file_name=upload.name or "",
                data=upload.read(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            statement = result.statement
            if result.already_imported:
                messages.info(
                    request,
                    gettext(
                        "This file was already imported on %(when)s: nothing changed. "
                        "Its result is below."
                    )
                    % {"when": statement.imported_at.strftime("%d/%m/%Y %H:%M")},
                )
            else:
                messages.success(
                    request, gettext("The statement is being imported: follow it here.")
                )
            return redirect("fundraising:manage_bank_statement", pk=statement.pk)
    return bank_page(request, form=form, status=400)


def statement_or_404(request: HttpRequest, pk: int) -> BankStatement:
    require_desk(request)
    statement = (
        visible_to(request.user, BankStatement, Action.READ)
        .select_related("organisation", "imported_by")
        .filter(pk=pk)
        .first()
    )
    if statement is None:
        raise Http404(gettext("No such bank statement."))
    return statement


def statement_context(statement: BankStatement) -> dict[str, Any]:
    counts: dict[str, int] = dict(
        statement.entries.values_list("status").annotate(n=Count("pk")).order_by()
    )
    return {
        "statement": statement,
        "active": statement.status in ACTIVE,
        # The bar's width comes from a class (the CSP forbids style attributes).
        "width": 5 * (statement.progress // 5),
        "counts": [
            {"status": status, "label": label, "count": counts.get(status, 0)}
            for status, label in EntryStatus.choices
        ],
    }


@never_cache
@login_required
@require_GET
def bank_statement(request: HttpRequest, pk: int) -> HttpResponse:
    """A statement: its result (or its import's progress) and its credits."""
    statement = statement_or_404(request, pk)
    entries = (
        visible_to(request.user, BankEntry, Action.LIST)
        .filter(statement=statement)
        .select_related("donation__donor", "donation__campaign")
        .order_by("booked_on", "pk")
    )
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    context = statement_context(statement)
    context.update(
        page=page,
        rows=[{"entry": e, "amount": euro(e.amount)} for e in page.object_list],
    )
    return render(request, "fundraising/manage/bank_statement.html", context)


@never_cache
@login_required
@require_GET
def bank_statement_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of a statement's import: the fragment htmx polls."""
    statement = statement_or_404(request, pk)
    context = statement_context(statement)
    # Once done, the fragment links to the whole page, which lists the credits.
    context["polled"] = True
    return render(request, "fundraising/manage/bank_statement.html#progress", context)


def review_rows(user: Any, entries: list[BankEntry]) -> list[dict[str, Any]]:
    candidates = reconciliation.review_candidates(entries)
    return [
        {
            "entry": e,
            "amount": euro(e.amount),
            "candidates": [
                {"gift": d, "amount": euro(d.amount), "same": d.amount == e.amount}
                for d in candidates.get(e.pk, [])
            ],
        }
        for e in entries
    ]


@never_cache
@login_required
@require_GET
def bank_review(request: HttpRequest) -> HttpResponse:
    """The credits to review, oldest first, each with the pledges it may pay."""
    require_desk(request)
    user = me(request)
    entries = (
        visible_to(user, BankEntry, Action.LIST)
        .filter(status=EntryStatus.UNMATCHED)
        .select_related("statement", "organisation")
        .order_by("booked_on", "pk")
    )
    page = Paginator(entries, REVIEW_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "fundraising/manage/bank_review.html",
        {
            "page": page,
            "rows": review_rows(user, list(page.object_list)),
            "can_change": may_change_any(user),
        },
    )


def entry_or_404(request: HttpRequest, pk: int) -> BankEntry:
    require_desk(request)
    entry = (
        visible_to(request.user, BankEntry, Action.READ)
        .select_related("statement", "organisation", "donation__donor")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404(gettext("No such bank entry."))
    return entry


def entry_page(
    request: HttpRequest,
    entry: BankEntry,
    *,
    confirm: EntryConfirmForm | None = None,
    gift: EntryGiftForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = me(request)
    can_change = entry.status == EntryStatus.UNMATCHED and allowed(user, Action.CHANGE, entry)
    return render(
        request,
        "fundraising/manage/bank_entry.html",
        {
            "entry": entry,
            "amount": euro(entry.amount),
            "row": review_rows(user, [entry])[0] if entry.status == EntryStatus.UNMATCHED else None,
            "can_change": can_change,
            "confirm": confirm or EntryConfirmForm(entry=entry),
            "gift": gift or EntryGiftForm(entry=entry),
            "error": error,
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def bank_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """One credit: what it is, the gift it paid, or the answers if it waits for review."""
    return entry_page(request, entry_or_404(request, pk))


def done(request: HttpRequest, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(reverse("fundraising:manage_bank_review"))


@never_cache
@login_required
@require_POST
def bank_entry_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The credit pays the pledge chosen (or found by its causale)."""
    entry = entry_or_404(request, pk)
    if not allowed(request.user, Action.CHANGE, entry):
        raise PermissionDenied
    form = EntryConfirmForm(request.POST, entry=entry)
    if form.is_valid():
        try:
            reconciliation.entry_confirm(
                entry=entry, donation=form.cleaned_data["donation"], by=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return done(request, gettext("The credit is matched: the gift is received."))
    return entry_page(request, entry, confirm=form, status=400)


@never_cache
@login_required
@require_POST
def bank_entry_gift(request: HttpRequest, pk: int) -> HttpResponse:
    """The credit is a gift nobody pledged: recorded as received, and matched."""
    entry = entry_or_404(request, pk)
    if not allowed(request.user, Action.CHANGE, entry):
        raise PermissionDenied
    form = EntryGiftForm(request.POST, entry=entry)
    if form.is_valid():
        try:
            reconciliation.entry_record_gift(
                entry=entry,
                by=request.user,
                campaign=form.cleaned_data["campaign"],
                anonymous=form.cleaned_data["anonymous"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return done(request, gettext("The credit is recorded as a new gift, received."))
    return entry_page(request, entry, gift=form, status=400)


@never_cache
@login_required
@require_http_methods(["POST"])
def bank_entry_ignore(request: HttpRequest, pk: int) -> HttpResponse:
    """The credit is not a gift: it leaves the review list."""
    entry = entry_or_404(request, pk)
    if not allowed(request.user, Action.CHANGE, entry):
        raise PermissionDenied
    try:
        reconciliation.entry_ignore(entry=entry, by=request.user)
    except ValidationError as exc:
        return entry_page(request, entry, error=" ".join(exc.messages), status=400)
    return done(request, gettext("The credit is marked as not a gift."))


urlpatterns: list[URLPattern] = [
    path("gestione/banca/", bank, name="manage_bank"),
    path("gestione/banca/importa/", bank_import, name="manage_bank_import"),
    path("gestione/banca/estratti/<int:pk>/", bank_statement, name="manage_bank_statement"),
    path(
        "gestione/banca/estratti/<int:pk>/stato/",
        bank_statement_status,
        name="manage_bank_statement_status",
    ),
    path("gestione/banca/da-rivedere/", bank_review, name="manage_bank_review"),
    path("gestione/banca/movimenti/<int:pk>/", bank_entry, name="manage_bank_entry"),
    path(
        "gestione/banca/movimenti/<int:pk>/conferma/",
        bank_entry_confirm,
        name="manage_bank_entry_confirm",
    ),
    path(
        "gestione/banca/movimenti/<int:pk>/nuovo-dono/",
        bank_entry_gift,
        name="manage_bank_entry_gift",
    ),
    path(
        "gestione/banca/movimenti/<int:pk>/ignora/",
        bank_entry_ignore,
        name="manage_bank_entry_ignore",
    ),
]
