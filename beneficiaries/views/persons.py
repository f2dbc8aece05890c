"""Pages of the person on file: the case list (filters in the address, the search by
name or codice fiscale only by POST), registering a person with the duplicate check,
the person page with its tabs, the printable summary, and the forms that change the
anagrafica, household, consents and the restriction flag. Every page that shows a
person's data writes the read to the access log."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beneficiaries import selectors
from beneficiaries.forms import (
    ConsentForm,
    HouseholdMemberForm,
    PersonCreateForm,
    PersonFilterForm,
    PersonForm,
    PersonSearchForm,
    RestrictionForm,
)
from beneficiaries.models import Consent, HouseholdMember, Person
from beneficiaries.services import cases as case_services
from beneficiaries.services import persons as services
from beneficiaries.views.common import (
    add_service_errors,
    back_to,
    person_context,
    person_or_404,
    person_page,
    report,
    run_form,
)
from legami.audit import audit_read
from legami.policy import Action, allowed

PAGE_SIZE = 50
SEARCH_SESSION_KEY = "beneficiaries_person_search"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def person_list(request: HttpRequest) -> HttpResponse:
    """The files the user may see, filtered (GET) and searched (POST: the term is kept
    in the session, so that no name or codice fiscale ever appears in an address)."""
    if not allowed(request.user, Action.LIST, Person):
        raise PermissionDenied
    if request.method == "POST":
        search_form = PersonSearchForm(request.POST)
        term = search_form.cleaned_data["q"].strip() if search_form.is_valid() else ""
        if term and "clear" not in request.POST:
            request.session[SEARCH_SESSION_KEY] = term
        else:
            request.session.pop(SEARCH_SESSION_KEY, None)
        filters_query = request.GET.urlencode()
        return redirect(
            reverse("beneficiaries:person_list") + (f"?{filters_query}" if filters_query else "")
        )
    form = PersonFilterForm(request.GET or None, user=request.user)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    term = request.session.get(SEARCH_SESSION_KEY, "")
    page = Paginator(
        selectors.person_list(user=request.user, filters={**filters, "search": term}),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    audit_read(objs=page.object_list, action="list", purpose="case list")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "beneficiaries/person_list.html",
        {
            "form": form,
            "search_form": PersonSearchForm(initial={"q": term}),
            "search": term,
            "page": page,
            "query": query.urlencode(),
            "filtered": bool(filters),
            "can_create": allowed(request.user, Action.CREATE, Person),
        },
    )


def _duplicate_outlines(request: HttpRequest, duplicates: list[Person]) -> list[dict[str, Any]]:
    """What the user learns of each possible duplicate: the link if they may read the
    file, else only initials, year of birth and the services holding it."""
    services_of = selectors.persons_holding_services(duplicates)
    outlines = []
    for person in duplicates:
        visible = selectors.person_is_visible(user=request.user, person=person)
        outlines.append(
            {
                "person": person if visible else None,
                "initials": f"{person.first_name[:1]}. {person.last_name[:1]}.".upper(),
                "birth_year": person.birth_date.year if person.birth_date else None,
                "cases": services_of[person.pk],
            }
        )
    return outlines


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    """Register a person and open their case. People who may be the same person are
    shown first; the worker confirms that this is someone else to go on."""
    if not allowed(request.user, Action.CREATE, Person):
        raise PermissionDenied
    form = PersonCreateForm(request.POST if request.method == "POST" else None, user=request.user)
    duplicates: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        force = request.POST.get("confirm_different") == "1"
        try:
            checked = services.codice_fiscale_check(form.person_data())
            found = [] if force else services.person_possible_duplicates(data=checked)
            if found:
                duplicates = _duplicate_outlines(request, found)
            else:
                person = services.person_create(
                    actor=request.user,
                    data=form.person_data(),
                    areas=form.cleaned_data["areas"],
                    need_tags=form.cleaned_data["need_tags"],
                    force=force,
                    organisation=form.cleaned_data["organisation"],
                    ambito=form.cleaned_data["ambito"],
                )
                messages.success(request, gettext("The file has been opened."))
                return redirect("beneficiaries:person_detail", public_id=person.public_id)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request, "beneficiaries/person_create.html", {"form": form, "duplicates": duplicates}
    )


@never_cache
@login_required
@require_GET
def person_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The person page: anagrafica, household, ecomap, assessments, diary, referrals,
    consents and history, each in a tab, with the forms of those who may change it."""
    person = person_or_404(request, public_id)
    return person_page(request, person, tab=request.GET.get("tab", ""))


@never_cache
@login_required
@require_GET
def person_summary(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """A printable summary of the file (no navigation, print styles)."""
    person = person_or_404(request, public_id)
    context = person_context(request, person)
    audit_read(objs=[person], action="view", purpose="printable summary")
    return render(request, "beneficiaries/person_summary.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Change the anagrafica, areas and needs of a person."""
    person = person_or_404(request, public_id)
    if not allowed(request.user, Action.CHANGE, person):
        raise PermissionDenied
    initial = {name: getattr(person, name) for name in services.PERSON_FIELDS}
    initial["areas"] = [a.area for a in person.areas.all()]
    initial["need_tags"] = list(person.need_tags.all())
    form = PersonForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(
                actor=request.user,
                person=person,
                data=form.person_data(),
                areas=form.cleaned_data["areas"],
                need_tags=form.cleaned_data["need_tags"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The anagrafica has been saved."))
            return back_to(person, "anagrafica")
    if request.method == "GET":
        audit_read(objs=[person], action="view", purpose="edit anagrafica")
    return render(request, "beneficiaries/person_edit.html", {"person": person, "form": form})


@login_required
@require_POST
def household_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Add a member to the household."""
    person = person_or_404(request, public_id)
    return run_form(
        request,
        person=person,
        tab="household",
        slot="household",
        form=HouseholdMemberForm(request.POST),
        call=lambda data: services.household_member_add(actor=request.user, person=person, **data),
        done=gettext("The member has been added to the household."),
    )


@login_required
@require_POST
def household_remove(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    """Remove a member from the household."""
    person = person_or_404(request, public_id)
    member = get_object_or_404(HouseholdMember, pk=pk, person=person)
    services.household_member_remove(actor=request.user, household_member=member)
    messages.success(request, gettext("The member has been removed from the household."))
    return back_to(person, "household")


@login_required
@require_POST
def restriction(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Turn the restriction of processing on or off (the button says which)."""
    person = person_or_404(request, public_id)
    restrict = request.POST.get("restricted") == "1"
    change = services.person_restrict if restrict else services.person_unrestrict
    return run_form(
        request,
        person=person,
        tab="anagrafica",
        slot="restriction",
        form=RestrictionForm(request.POST),
        call=lambda data: change(actor=request.user, person=person, reason=data["reason"]),
        done=gettext("Processing of this file is now restricted.")
        if restrict
        else gettext("Processing of this file is no longer restricted."),
    )


@login_required
@require_POST
def consent_give(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Record a consent."""
    person = person_or_404(request, public_id)
    return run_form(
        request,
        person=person,
        tab="consents",
        slot="consent",
        form=ConsentForm(request.POST),
        call=lambda data: case_services.consent_give(actor=request.user, person=person, **data),
        done=gettext("The consent has been recorded."),
    )


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    """Record that a consent was withdrawn today."""
    person = person_or_404(request, public_id)
    consent = get_object_or_404(Consent, pk=pk, person=person)
    try:
        case_services.consent_withdraw(actor=request.user, consent=consent)
    except ValidationError as exc:
        report(request, exc)
    else:
        messages.success(request, gettext("The withdrawal has been recorded."))
    return back_to(person, "consents")


urlpatterns = [
    path("", person_list, name="person_list"),
    path("new/", person_create, name="person_create"),
    path("p/<uuid:public_id>/", person_detail, name="person_detail"),
    path("p/<uuid:public_id>/summary/", person_summary, name="person_summary"),
    path("p/<uuid:public_id>/edit/", person_edit, name="person_edit"),
    path("p/<uuid:public_id>/household/add/", household_add, name="household_add"),
    path(
        "p/<uuid:public_id>/household/<int:pk>/remove/",
        household_remove,
        name="household_remove",
    ),
    path("p/<uuid:public_id>/restriction/", restriction, name="restriction"),
    path("p/<uuid:public_id>/consents/give/", consent_give, name="consent_give"),
    path(
        "p/<uuid:public_id>/consents/<int:pk>/withdraw/",
        consent_withdraw,
        name="consent_withdraw",
    ),
]
