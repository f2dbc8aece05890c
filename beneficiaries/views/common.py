"""Helpers shared by the case-file pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext

from beneficiaries import selectors
from beneficiaries.models import Person
from legami.policy import Action, scope


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
    "history",
)


def back_to(person: Person, tab: str) -> HttpResponse:
    """Back to the person page with ``tab`` open (the tab's name is all the address says)."""
    url = reverse("beneficiaries:person_detail", args=[person.public_id])
    return redirect(f"{url}?tab={tab}#{tab}")


def add_service_errors(form: Any, exc: ValidationError) -> None:
    """Show a service's refusal on the form, under the field it names if there is one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def report(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, error_text(exc))


def run_form(
    request: HttpRequest, *, person: Person, tab: str, form: Any, call: Any, done: str
) -> HttpResponse:
    """Run ``call(cleaned_data)`` for a valid form and go back to the person's tab,
    reporting the form's or the service's refusal as a message."""
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return back_to(person, tab)
    try:
        call(form.cleaned_data)
    except ValidationError as exc:
        report(request, exc)
    else:
        messages.success(request, done)
    return back_to(person, tab)
