"""Helpers shared by the case-file pages, and the person page itself: its tabs, and the
forms in them. A form sent from a tab goes back to that tab: on success by a redirect
(POST/redirect/GET) with a message; refused, by the page rendered again (status 400)
with the tab open and the form showing what was typed, its errors under the fields
and a summary of them at the top."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from beneficiaries import selectors
from beneficiaries.forms import (
    CaseOpenForm,
    ConsentForm,
    DiaryNoteForm,
    HouseholdMemberForm,
    ReferralForm,
    RestrictionForm,
    StageForm,
    assign_forms,
)
from beneficiaries.models import Person
from legami.audit import audit_read
from legami.dashboard import PERSON, render_panels
from legami.forms import add_service_errors
from legami.policy import Action, allowed, scope
from legami.templatetags.legami_audit import history_visible


def person_or_404(request: HttpRequest, public_id: UUID) -> Person:
    """The person whose file the user may read; 403 for a role that reads no file at
    all, 404 for a file the user may not read (its existence is not revealed)."""
    if scope(request.user, Action.READ, Person) is False:
        raise PermissionDenied
    person = selectors.person_detail(user=request.user, public_id=public_id)
    if person is None:
        raise Http404(gettext("No such file, or you may not read it."))
    return person


def error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def form_error_text(form: Any) -> str:
    return " ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errors)}".lstrip(": ")
        for name, errors in form.errors.items()
    )


# The tabs of the person page, the first open by default.
TABS = (
    "anagrafica",
    "household",
    "ecomap",
    "assessments",
    "diary",
    "referrals",
    "consents",
    "pacts",
    "history",
)


def back_to(person: Person, tab: str) -> HttpResponse:
    """Back to the person page with ``tab`` open (the tab's name is all the address says)."""
    url = reverse("beneficiaries:person_detail", args=[person.public_id])
    return redirect(f"{url}?tab={tab}#{tab}")


def report(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, error_text(exc))


def person_context(request: HttpRequest, person: Person) -> dict[str, Any]:
    """The file of ``person`` as the user may see it (the page and the summary)."""
    file = selectors.person_file(user=request.user, person=person)
    return {
        "person": person,
        **file,
        "can_change": allowed(request.user, Action.CHANGE, person),
        "can_open_case": allowed(request.user, Action.CREATE, "beneficiaries.case"),
    }


def form_ids(slot: str, case_pk: int | None = None) -> str:
    """The ``auto_id`` of a form of the person page. Its forms are one of each (slots
    "household", "case_open", "consent", "restriction") or one per case ("assign",
    "stage", "diary", "referral"); each has ids of its own, so that the page never
    repeats an id and an error summary can link to the field."""
    return f"{slot}-c{case_pk}-%s" if case_pk is not None else f"{slot}-%s"


def person_page(
    request: HttpRequest,
    person: Person,
    *,
    tab: str,
    sent: tuple[str, int | None, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The person page with ``tab`` open. ``sent`` is a refused form, as (slot, case's
    pk or None, form): it takes the place of the empty form in its tab."""
    context = person_context(request, person)
    audit_read(objs=[person], action="view", purpose="person page")
    cases, open_cases = context["cases"], context["open_cases"]
    by_case: dict[str, dict[int, Any]] = {
        "assign": assign_forms(open_cases),
        "stage": {c.pk: StageForm(auto_id=form_ids("stage", c.pk)) for c in cases},
        "diary": {c.pk: DiaryNoteForm(auto_id=form_ids("diary", c.pk)) for c in open_cases},
        "referral": ReferralForm.for_cases(
            [c.pk for c in open_cases], auto_id=lambda pk: form_ids("referral", pk)
        ),
    }
    single: dict[str, Any] = {
        "household": HouseholdMemberForm(auto_id=form_ids("household")),
        "case_open": CaseOpenForm(user=request.user, auto_id=form_ids("case_open")),
        "consent": ConsentForm(auto_id=form_ids("consent")),
        "restriction": RestrictionForm(auto_id=form_ids("restriction")),
    }
    if sent is not None:
        slot, case_pk, form = sent
        if case_pk is None:
            single[slot] = form
        elif case_pk in by_case[slot]:
            by_case[slot][case_pk] = form
        else:  # the page shows no such form for that case (e.g. the diary of a closed one)
            messages.error(request, form_error_text(form))
    context.update(
        {
            "active_tab": tab if tab in TABS else TABS[0],
            "household_form": single["household"],
            "case_open_form": single["case_open"],
            "consent_form": single["consent"],
            "restriction_form": single["restriction"],
            "assign_forms": by_case["assign"],
            "stage_forms": by_case["stage"],
            "diary_forms": by_case["diary"],
            "referral_forms": by_case["referral"],
            # The intake form is folded away unless it comes back with errors.
            "case_open_refused": sent is not None and sent[0] == "case_open",
            "history_events": selectors.file_history(user=request.user, person=person, cases=cases),
            "history_visible": history_visible(request.user, person),
            "can_export": allowed(request.user, Action.EXPORT, person),
            # Parts of the file kept by apps that build on the case file (the pacts tab).
            "person_panels": render_panels(request, PERSON, person=person, open_cases=open_cases),
        }
    )
    return render(request, "beneficiaries/person_detail.html", context, status=status)


def run_form(
    request: HttpRequest,
    *,
    person: Person,
    tab: str,
    slot: str,
    form: Any,
    call: Any,
    done: str,
    case_pk: int | None = None,
) -> HttpResponse:
    """Run ``call(cleaned_data)`` for a valid form and go back to the person's tab with
    the message ``done``. A form that is not valid, or that the service refuses (its
    errors under the fields they name), comes back in the page with status 400."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return back_to(person, tab)
    if form.prefix is None:  # a prefixed form has ids of its own already
        form.auto_id = form_ids(slot, case_pk)
    return person_page(request, person, tab=tab, sent=(slot, case_pk, form), status=400)
