"""Pages of the partners app: the public list and pages of the network's organisations,
their management by network administrators, the members page of an organisation and
the page that accepts an invitation. Rules live in the access policy and the services;
these views parse input, call them and render."""

from __future__ import annotations

import copy
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.log import log_response
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from legami.audit import audit_read
from legami.dashboard import ORGANISATION, render_panels
from legami.policy import Action, allowed, require, visible_to
from partners import selectors, services
from partners.forms import (
    InvitationForm,
    MembershipEndForm,
    OrganisationFilterForm,
    OrganisationForm,
)
from partners.models import Invitation, InvitationStatus, Membership, Organisation

# The status of the invitation page for each reason an invitation cannot be accepted.
INVITATION_PROBLEM_STATUS = {
    "accepted": 410,
    "revoked": 410,
    "expired": 410,
    "organisation_inactive": 410,
    "wrong_user": 403,
    "unverified": 403,
}


def _organisation_or_404(request: HttpRequest, slug: str) -> Organisation:
    organisation = selectors.organisation_for(user=request.user, slug=slug)
    if organisation is None:
        raise Http404(gettext("No such organisation in the network."))
    return organisation


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _add_service_errors(form: Any, exc: ValidationError) -> None:
    """Show a service's refusal on the form: under the field it names, if the form has
    that field, else above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --- Public pages --------------------------------------------------------------------------


@require_GET
def organisation_list(request: HttpRequest) -> HttpResponse:
    """The active organisations of the network, filtered by kind and ambito."""
    form = OrganisationFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    organisations = selectors.organisation_list(
        user=request.user, kind=filters.get("kind"), ambito=filters.get("ambito")
    )
    return render(
        request,
        "partners/organisation_list.html",
        {
            "form": form,
            "organisations": organisations,
            "filtered": bool(filters),
            "can_create": allowed(request.user, Action.CREATE, Organisation),
        },
    )


@require_GET
def organisation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """An organisation of the network: what it is, where it works, how to reach it, and
    the panels other apps add for those who may see them (e.g. its hours balance)."""
    organisation = _organisation_or_404(request, slug)
    return render(
        request,
        "partners/organisation_detail.html",
        {
            "organisation": organisation,
            "can": selectors.organisation_permissions(user=request.user, organisation=organisation),
            "panels": render_panels(request, ORGANISATION, organisation=organisation),
        },
    )


# --- Network administrators --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.CREATE, Organisation)
    form = OrganisationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(
                actor=request.user,  # type: ignore[arg-type]
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("%(organisation)s joined the network.")
                % {"organisation": organisation.name},
            )
            return redirect(organisation)
    return render(request, "partners/organisation_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation_or_404(request, slug)
    require(request.user, Action.CHANGE, organisation)
    form = OrganisationForm(
        request.POST if request.method == "POST" else None, instance=organisation
    )
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_update(
                organisation=organisation,
                actor=request.user,  # type: ignore[arg-type]
                data=form.cleaned_data,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The organisation's details were saved."))
            return redirect(organisation)
    if form.is_bound:  # a refused form wrote its values on the instance: not saved
        organisation.refresh_from_db()
    return render(
        request, "partners/organisation_form.html", {"form": form, "organisation": organisation}
    )


def _set_active(request: HttpRequest, slug: str, *, active: bool) -> HttpResponse:
    organisation = _organisation_or_404(request, slug)
    service = services.organisation_reactivate if active else services.organisation_deactivate
    try:
        organisation = service(organisation=organisation, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        text = (
            gettext("%(organisation)s is active in the network again.")
            if active
            else gettext(
                "%(organisation)s was deactivated: its people no longer act for it in Legami."
            )
        )
        messages.success(request, text % {"organisation": organisation.name})
    return redirect(organisation)


@login_required
@require_POST
def organisation_deactivate(request: HttpRequest, slug: str) -> HttpResponse:
    return _set_active(request, slug, active=False)


@login_required
@require_POST
def organisation_reactivate(request: HttpRequest, slug: str) -> HttpResponse:
    return _set_active(request, slug, active=True)


# --- Members of an organisation ------------------------------------------------------------


def _members_page(
    request: HttpRequest,
    organisation: Organisation,
    *,
    invite_form: InvitationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    memberships = list(selectors.membership_list(user=user, organisation=organisation))
    if not selectors.members_page_allowed(
        user=user, organisation=organisation, memberships=memberships
    ):
        raise PermissionDenied
    roles = selectors.invitation_roles_grantable(user=user, organisation=organisation)
    invitations = list(
        selectors.invitation_list(user=user, organisation=organisation, open_only=True)
    )
    endable = set(
        visible_to(user, Membership, Action.CHANGE)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=timezone.localdate()))
        .filter(organisation=organisation)
        .values_list("pk", flat=True)
    )
    revocable = set(
        visible_to(user, Invitation, Action.DELETE)
        .filter(organisation=organisation)
        .values_list("pk", flat=True)
    )
    audit_read(
        objs=memberships,
        action="list",
        purpose="members page",
        subject_user=lambda m: cast(Membership, m).user,
    )
    if invitations:
        audit_read(objs=invitations, action="list", purpose="members page")
    if invite_form is None and roles:
        invite_form = InvitationForm(roles=roles)
    return render(
        request,
        "partners/members.html",
        {
            "organisation": organisation,
            "memberships": memberships,
            "invitations": invitations,
            "endable": endable,
            "revocable": revocable,
            "invite_form": invite_form,
            "end_form": MembershipEndForm(),
            "pending": InvitationStatus.PENDING,
        },
        status=status,
    )


@login_required
@require_GET
def members(request: HttpRequest, slug: str) -> HttpResponse:
    """The people who act for an organisation, its pending invitations, and the forms to
    invite, end and revoke (for referents and network administrators)."""
    return _members_page(request, _organisation_or_404(request, slug))


@login_required
@require_POST
def invitation_create(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation_or_404(request, slug)
    roles = selectors.invitation_roles_grantable(user=request.user, organisation=organisation)
    if not roles:
        raise PermissionDenied
    form = InvitationForm(request.POST, roles=roles)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                organisation=organisation,
                invited_by=request.user,  # type: ignore[arg-type]
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("An invitation is on its way to %(email)s.") % {"email": invitation.email},
            )
            return redirect("partners:members", slug=organisation.slug)
    return _members_page(request, organisation, invite_form=form, status=400)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organisation = _organisation_or_404(request, slug)
    invitation = get_object_or_404(Invitation, organisation=organisation, pk=pk)
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            gettext("The invitation to %(email)s was withdrawn.") % {"email": invitation.email},
        )
    return redirect("partners:members", slug=organisation.slug)


@login_required
@require_POST
def membership_end(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organisation = _organisation_or_404(request, slug)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), organisation=organisation, pk=pk
    )
    form = MembershipEndForm(request.POST)
    if not form.is_valid():
        # Ask the policy first: a refusal is a refusal whatever the form says.
        require(request.user, Action.CHANGE, membership)
        messages.error(request, gettext("Enter the last day of the membership."))
        return redirect("partners:members", slug=organisation.slug)
    try:
        services.membership_end(
            membership=membership,
            end_date=form.cleaned_data["end_date"],
            actor=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            gettext("The membership of %(person)s ends on %(date)s.")
            % {
                "person": membership.user.get_full_name() or membership.user.email,
                "date": date_format(form.cleaned_data["end_date"]),
            },
        )
    return redirect("partners:members", slug=organisation.slug)


# --- Accepting an invitation --------------------------------------------------------------


# The invitation link carries its token in the path, as Django's password-reset link does,
# and is handled the same way: the link's page remembers the invitation in the session and
# sends the browser on to a page without the token, which shows the invitation and takes
# the acceptance. The token thus appears in no page, form, audit row or error log, nor in
# the Referer of what the invitation page links to.
INVITATION_SESSION_KEY = "partners_invitation_id"


def _invitation_problem(
    request: HttpRequest, problem: str, *, status: int, invitation: Invitation | None = None
) -> HttpResponse:
    return render(
        request,
        "partners/invitation_problem.html",
        {"problem": problem, "invitation": invitation},
        status=status,
    )


def _wrong_link(request: HttpRequest, token: str) -> HttpResponse:
    """The answer to a link whose token matches no invitation: 404, without the token.

    A wrong token may be most of a right one (a link cut short by a mail program), so it
    is kept out of the page and of Django's log of 4xx answers. The page is rendered as
    if at the token-free address (``base.html`` writes the path into the language switch)
    and the 404 is logged here with the token left out, which stops Django logging it
    again with the path."""
    page = copy.copy(request)
    page.path = page.path_info = reverse("partners:invitation_accept")
    response = _invitation_problem(
        page,
        gettext("This invitation link is not valid. Check that it was copied whole."),
        status=404,
    )
    redacted = request.path.replace(token, "<token>")
    log_response("Not Found: %s", redacted, response=response, request=page)
    return response


@never_cache
@require_GET
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link of an invitation mail: remember the invitation and go on to its page."""
    found = selectors.invitation_by_token(token=token)
    if found is None:
        return _wrong_link(request, token)
    request.session[INVITATION_SESSION_KEY] = found.pk
    return redirect("partners:invitation_accept")


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest) -> HttpResponse:
    """The page of the invitation whose link this browser opened: who invites to what;
    log in (or sign up) with the invited address, then accept."""
    pk = request.session.get(INVITATION_SESSION_KEY)
    found = (
        Invitation.objects.select_related("organisation").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if found is None:
        return _invitation_problem(
            request,
            gettext(
                "No invitation is open in this browser. Open the link in the invitation "
                "e-mail again."
            ),
            status=404,
        )
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(reverse("partners:invitation_accept"))
    try:
        services.invitation_check(invitation=found, user=request.user)
    except ValidationError as exc:
        if exc.code != "login_required":
            return _invitation_problem(
                request,
                _error_text(exc),
                invitation=found,
                status=INVITATION_PROBLEM_STATUS.get(exc.code or "", 400),
            )
    if request.method == "GET":
        return render(request, "partners/invitation.html", {"invitation": found})
    try:
        membership = services.invitation_accept(invitation=found, user=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        return _invitation_problem(
            request,
            _error_text(exc),
            invitation=found,
            status=INVITATION_PROBLEM_STATUS.get(exc.code or "", 400),
        )
    request.session.pop(INVITATION_SESSION_KEY, None)
    messages.success(
        request,
        gettext("Welcome: you now act for %(organisation)s as %(role)s.")
        % {"organisation": membership.organisation.name, "role": membership.get_role_display()},
    )
    return redirect(reverse("legami:dashboard"))
