"""The desk's donors, donations and receipts, under /fundraising/gestione/: the donors
(search, a donor's page with their gifts, soft credits and consent history, new donor,
edit, consent given or withdrawn), the donations (filtered list with its totals, a gift
in hand, a pledge received, refunds, cancelled pledges, soft credits, the receipt of a
gift) and the receipts (list by year, the PDF, a reprint, cancelling one). The exports
are in manage_exports (their URLs are included here).

Who: the fundraisers of the organisations that received the gifts change them; network
administrators read everything and change nothing (403 on every form); anybody else is
refused (403). A donor, donation or receipt of another organisation is not on one's desk
(404). Every change goes through fundraising.services: a refused change comes back on
its form with status 400 and changes nothing. A donor's page and a receipt's PDF are
reads of personal data and are written to the access log.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fundraising.forms_gifts import (
    ConsentForm,
    DonationFilterForm,
    DonationRecordForm,
    DonorForm,
    DonorSearchForm,
    ReasonForm,
    ReceiptFilterForm,
    ReceiveForm,
    SoftCreditForm,
)
from fundraising.models import (
    CampaignStatus,
    ConsentChange,
    Donation,
    DonationStatus,
    Donor,
    Receipt,
    ReceiptStatus,
    RecurringGift,
    RecurringStatus,
    SoftCredit,
)
from fundraising.receipt_pdf import euro
from fundraising.selectors import (
    desk_donations,
    desk_gifts_q,
    desk_receipts,
)
from fundraising.services import donations as donation_services
from fundraising.services import donors as donor_services
from fundraising.services.donors import is_fundraiser_of
from fundraising.services.receipts import (
    receipt_cancel,
    receipt_file_name,
    receipt_issue,
    receipt_reprint,
)
from fundraising.validators import validate_codice_fiscale, validate_partita_iva
from fundraising.views import manage_exports
from fundraising.views.manage import desk_orgs, may_change_any, me, require_desk
from fundraising.views.manage_exports import filter_campaigns, filtered_donations
from legami.audit import audit_read
from legami.forms import add_service_errors
from legami.models import AccessEvent
from legami.policy import Action, allowed, visible_to

DONORS_PER_PAGE = 30
DONATIONS_PER_PAGE = 40
RECEIPTS_PER_PAGE = 40
GIFTS_SHOWN = 100
ZERO = Decimal("0.00")
_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)


# --- Helpers ------------------------------------------------------------------------------


def donor_or_404(request: HttpRequest, public_id: UUID) -> Donor:
    require_desk(request)
    donor = visible_to(request.user, Donor, Action.READ).filter(public_id=public_id).first()
    if donor is None:
        raise Http404(gettext("No such donor on your desk."))
    return donor


def donation_or_404(request: HttpRequest, public_id: UUID) -> Donation:
    require_desk(request)
    donation = (
        desk_donations(request.user, Action.READ)
        .select_related("donor", "campaign", "organisation", "receipt", "created_by")
        .filter(public_id=public_id)
        .first()
    )
    if donation is None:
        raise Http404(gettext("No such donation on your desk."))
    return donation


def receipt_or_404(request: HttpRequest, pk: int) -> Receipt:
    require_desk(request)
    receipt = (
        desk_receipts(request.user, Action.READ)
        .select_related("organisation", "donation__donor", "donation__campaign")
        .filter(pk=pk)
        .first()
    )
    if receipt is None:
        raise Http404(gettext("No such receipt on your desk."))
    return receipt


def require_change(user: Any, obj: Donation | Receipt) -> None:
    """Network administrators read the desk; its forms are the fundraisers' (403)."""
    if not allowed(user, Action.CHANGE, obj):
        raise PermissionDenied


def visible_donor_by_code(user: Any, code: str, *, network: bool = False) -> Donor | None:
    """One of ``user``'s donors by codice fiscale, partita IVA or e-mail (None when none
    or more than one matches). With ``network`` (recording a gift), a valid codice
    fiscale or partita IVA also finds the donor another organisation recorded: donors
    are one record per code across the network (docs/ACCESS.md), and the gift puts the
    donor on this desk too. An e-mail address never reaches beyond one's own donors."""
    code = (code or "").strip()
    if not code:
        return None
    query = Q(email__iexact=code)
    compact = "".join(code.split()).upper()
    codes: dict[str, str] = {}
    for field, validate in (
        ("codice_fiscale", validate_codice_fiscale),
        ("partita_iva", validate_partita_iva),
    ):
        try:
            normalised = validate(compact)
        except ValidationError:
            continue
        codes[field] = normalised
        query |= Q(codice_fiscale=normalised) | Q(partita_iva=normalised)
    found = list(visible_to(user, Donor, Action.READ).filter(query)[:2])
    if not found and network and codes and allowed(user, Action.CREATE, Donor):
        try:
            return donor_services.donor_by_code(**codes)
        except ValidationError:  # the two codes belong to two donors
            return None
    return found[0] if len(found) == 1 else None


class _Pk:
    """A user known by their id only (the access log stores the id; no query)."""

    def __init__(self, pk: int) -> None:
        self.pk = pk


def subject_of(receipt_or_donor: Any) -> Any:
    """The account of the donor a donor's page or a receipt is about, if any."""
    donation = getattr(receipt_or_donor, "donation", None)
    donor = donation.donor if donation is not None else receipt_or_donor
    user_id = getattr(donor, "user_id", None)
    return _Pk(user_id) if user_id else None


def _status(form: BaseForm) -> int:
    return 400 if form.is_bound and form.errors else 200


# --- Donors -------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def donor_list(request: HttpRequest) -> HttpResponse:
    """The donors on the desk, searched by name, code or e-mail, with their received
    gifts to the person's organisations (a page costs the same queries whatever its
    length)."""
    require_desk(request)
    user = request.user
    form = DonorSearchForm(request.GET or None)
    donors = visible_to(user, Donor, Action.LIST)
    q = ""
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
    elif form.errors:
        return render(
            request, "fundraising/manage/donor_list.html", {"form": form, "page": None}, status=400
        )
    if q:
        compact = "".join(q.split()).upper()
        donors = donors.filter(
            Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(company_name__icontains=q)
            | Q(email__icontains=q)
            | Q(codice_fiscale__icontains=compact)
            | Q(partita_iva__icontains=compact)
        )
    received = Q(donations__status=DonationStatus.RECEIVED) & desk_gifts_q(user, "donations__")
    donors = donors.annotate(
        gifts=Count("donations", filter=received),
        given=Coalesce(Sum("donations__amount", filter=received), Value(ZERO), output_field=_MONEY),
    ).order_by("last_name", "first_name", "company_name", "pk")
    page = Paginator(donors, DONORS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"donor": d, "given": euro(d.given)} for d in page.object_list]
    audit_read(
        objs=page.object_list,
        action=AccessEvent.Action.LIST,
        purpose="donor list",
        subject_user=subject_of,
    )
    return render(
        request,
        "fundraising/manage/donor_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "q": q,
            "can_create": allowed(user, Action.CREATE, Donor),
        },
    )


def _consent_sections(user: Any, donor: Donor) -> list[dict[str, Any]]:
    """Per organisation on the desk (for a network administrator: every organisation
    the donor answered), the consent in force and its whole history (one query)."""
    changes = ConsentChange.objects.filter(donor=donor).select_related(
        "organisation", "recorded_by"
    )
    orgs = list(desk_orgs(user))
    if may_change_any(user):
        changes = changes.filter(organisation__in=orgs)
    sections: OrderedDict[int, dict[str, Any]] = OrderedDict(
        (org.pk, {"organisation": org, "history": []}) for org in orgs
    )
    for change in changes.order_by("organisation__name", "at", "pk"):
        section = sections.setdefault(
            change.organisation_id, {"organisation": change.organisation, "history": []}
        )
        section["history"].append(change)
    for section in sections.values():
        latest = section["history"][-1] if section["history"] else None
        section["given"] = bool(latest and latest.given)
        section["since"] = latest.at if latest else None
    return list(sections.values())


def _donor_page(
    request: HttpRequest,
    donor: Donor,
    *,
    consent_form: ConsentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    gifts = (
        desk_donations(user)
        .filter(donor=donor)
        .select_related("campaign", "organisation", "receipt")
        .order_by("-date", "-pk")
    )
    totals = gifts.aggregate(
        count=Count("pk"),
        received=Coalesce(
            Sum("amount", filter=Q(status=DonationStatus.RECEIVED)),
            Value(ZERO),
            output_field=_MONEY,
        ),
    )
    credits = (
        SoftCredit.objects.filter(donor=donor, donation__in=desk_donations(user))
        .select_related("donation__donor", "donation__campaign", "donation__organisation")
        .order_by("-donation__date", "-pk")
    )
    orgs = desk_orgs(user)
    monthly = (
        RecurringGift.objects.filter(desk_gifts_q(user), donor=donor)
        .select_related("campaign", "organisation")
        .order_by("status", "-started_on", "-pk")
    )
    audit_read(
        objs=[donor], action=AccessEvent.Action.VIEW, purpose="donor page", subject_user=subject_of
    )
    return render(
        request,
        "fundraising/manage/donor_detail.html",
        {
            "donor": donor,
            "gifts": [{"gift": g, "amount": euro(g.amount)} for g in gifts[:GIFTS_SHOWN]],
            "gift_count": totals["count"],
            "received": euro(totals["received"]),
            "more_gifts": totals["count"] > GIFTS_SHOWN,
            "credits": [{"credit": c, "amount": euro(c.donation.amount)} for c in credits],
            "monthly": [
                {
                    "gift": g,
                    "amount": euro(g.amount),
                    "can_stop": g.status == RecurringStatus.ACTIVE
                    and is_fundraiser_of(user, g.organisation_id),
                }
                for g in monthly
            ],
            "consents": _consent_sections(user, donor),
            "consent_form": consent_form
            or (ConsentForm(organisations=orgs) if may_change_any(user) else None),
            "can_change": donor_services.may_change_donor(user, donor),
            "can_record": may_change_any(user),
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def donor_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """A donor: contact data and fiscal codes, their gifts to the person's
    organisations, the gifts credited to them, their consent (in force and history)."""
    return _donor_page(request, donor_or_404(request, public_id))


@never_cache
@login_required
@require_POST
def monthly_gift_stop(request: HttpRequest, public_id: UUID, pk: int) -> HttpResponse:
    """Stop a monthly gift (the donor asked; their standing order is stopped at their
    bank). Only a fundraiser of the organisation it goes to; months already pledged
    stay (they are cancelled one by one, if they will not come)."""
    donor = donor_or_404(request, public_id)
    user = me(request)
    gift = (
        RecurringGift.objects.filter(desk_gifts_q(user), donor=donor, pk=pk)
        .select_related("organisation")
        .first()
    )
    if gift is None:
        raise Http404(gettext("No such monthly gift on your desk."))
    if not is_fundraiser_of(user, gift.organisation_id):
        raise PermissionDenied
    already = gift.status == RecurringStatus.STOPPED
    donation_services.recurring_stop(gift=gift, by=user)
    messages.success(
        request,
        gettext("This monthly gift was already stopped.")
        if already
        else gettext("The monthly gift is stopped: no more months are pledged."),
    )
    return redirect("fundraising:manage_donor", public_id=donor.public_id)


def _donor_form_page(request: HttpRequest, form: DonorForm, donor: Donor | None) -> HttpResponse:
    return render(
        request,
        "fundraising/manage/donor_form.html",
        {"form": form, "donor": donor},
        status=_status(form),
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def donor_create(request: HttpRequest) -> HttpResponse:
    """A new donor (a person or a company). A donor already recorded with the same
    codice fiscale or partita IVA is completed instead of doubled."""
    require_desk(request)
    user = me(request)
    if not allowed(user, Action.CREATE, Donor):
        raise PermissionDenied
    form = DonorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        started = timezone.now()
        try:
            donor = donor_services.donor_create(by=user, **form.donor_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not allowed(user, Action.READ, donor):
                field = "codice_fiscale" if form.cleaned_data["codice_fiscale"] else "partita_iva"
                form.add_error(
                    field,
                    gettext(
                        "A donor with this code is already known in the network: record "
                        "their gift with this code, and the donor is on your desk."
                    ),
                )
            else:
                if donor.created_at < started:
                    messages.success(
                        request,
                        gettext("%(donor)s was already recorded: their details are completed.")
                        % {"donor": donor.display_name},
                    )
                else:
                    messages.success(
                        request,
                        gettext("The donor %(donor)s is recorded.") % {"donor": donor.display_name},
                    )
                return redirect("fundraising:manage_donor", public_id=donor.public_id)
    return _donor_form_page(request, form, None)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def donor_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Change a donor's details."""
    donor = donor_or_404(request, public_id)
    user = me(request)
    if not donor_services.may_change_donor(user, donor):
        raise PermissionDenied
    initial = {name: getattr(donor, name) for name in DonorForm.base_fields}
    form = DonorForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            donor = donor_services.donor_update(donor=donor, by=user, **form.donor_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, gettext("The details of %(donor)s are saved.") % {"donor": donor}
            )
            return redirect("fundraising:manage_donor", public_id=donor.public_id)
    return _donor_form_page(request, form, donor)


@never_cache
@login_required
@require_POST
def donor_consent(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Record that the donor gave or withdrew their consent to hear from one of the
    person's organisations (how they said so, and now, are recorded)."""
    donor = donor_or_404(request, public_id)
    user = me(request)
    if not may_change_any(user):
        raise PermissionDenied
    form = ConsentForm(request.POST, organisations=desk_orgs(user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            change = donor_services.consent_set(
                donor=donor,
                organisation=data["organisation"],
                given=data["given"],
                source=data["source"],
                by=user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if change is None:
                text = gettext("Nothing changed: that is already the consent in force.")
            elif data["given"]:
                text = gettext("%(donor)s agreed to hear from %(organisation)s.")
            else:
                text = gettext("%(donor)s withdrew their consent to hear from %(organisation)s.")
            messages.success(request, text % {"donor": donor, "organisation": data["organisation"]})
            return redirect("fundraising:manage_donor", public_id=donor.public_id)
    return _donor_page(request, donor, consent_form=form, status=400)


# --- Donations ----------------------------------------------------------------------------


def donation_totals(qs: QuerySet[Donation]) -> dict[str, Any]:
    """How many gifts and how much, received, pledged (one query, in the database)."""
    money = {"output_field": _MONEY}
    totals = qs.aggregate(
        total_count=Count("pk"),
        total_amount=Coalesce(Sum("amount"), Value(ZERO), **money),
        total_received=Coalesce(
            Sum("amount", filter=Q(status=DonationStatus.RECEIVED)), Value(ZERO), **money
        ),
        total_pledged=Coalesce(
            Sum("amount", filter=Q(status=DonationStatus.PLEDGED)), Value(ZERO), **money
        ),
    )
    return {
        "count": totals["total_count"],
        "amount": euro(totals["total_amount"]),
        "received": euro(totals["total_received"]),
        "pledged": euro(totals["total_pledged"]),
    }


@never_cache
@login_required
@require_GET
def donation_list(request: HttpRequest) -> HttpResponse:
    """The desk's donations, newest first, filtered by status, campaign, method and
    period, with the totals of what is filtered (an unknown filter value: 400)."""
    require_desk(request)
    user = request.user
    form = DonationFilterForm(request.GET or None, campaigns=filter_campaigns(user))
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "fundraising/manage/donation_list.html",
            {"form": form, "page": None, "rows": [], "totals": None},
            status=400,
        )
    data = form.cleaned_data if form.is_bound else {}
    qs = filtered_donations(user, data, Action.LIST)
    totals = donation_totals(qs)
    page = Paginator(
        qs.select_related("donor", "campaign", "organisation", "receipt").order_by("-date", "-pk"),
        DONATIONS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    rows = [
        {"gift": d, "amount": euro(d.amount), "receipt": getattr(d, "receipt", None)}
        for d in page.object_list
    ]
    shown = {d.donor_id: d.donor for d in page.object_list if d.donor is not None}
    audit_read(
        objs=shown.values(),
        action=AccessEvent.Action.LIST,
        purpose="donations list",
        subject_user=subject_of,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "fundraising/manage/donation_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "totals": totals,
            "query": query.urlencode(),
            "can_record": may_change_any(user),
            "may_export": allowed(user, Action.EXPORT, Donation),
        },
    )


def _record_form(request: HttpRequest, data: Any = None) -> DonationRecordForm:
    user = request.user
    return DonationRecordForm(
        data,
        campaigns=filter_campaigns(user).exclude(status=CampaignStatus.DRAFT),
        organisations=desk_orgs(user).filter(fundraising_profile__isnull=False),
        initial={"donor": request.GET.get("donor") or None},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def donation_record(request: HttpRequest) -> HttpResponse:
    """A gift in hand (cash at a stand, a cheque, a transfer seen on the account),
    recorded as received; from a donor of the person's, or from nobody named."""
    require_desk(request)
    user = me(request)
    if not may_change_any(user):
        raise PermissionDenied
    form = _record_form(request, request.POST if request.method == "POST" else None)
    chosen: Donor | None = None
    donor_id = request.POST.get("donor") or request.GET.get("donor")
    if donor_id:
        try:
            chosen = (
                visible_to(user, Donor, Action.READ).filter(public_id=UUID(str(donor_id))).first()
            )
        except ValueError:
            chosen = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        donor: Donor | None = chosen if data["donor"] else None
        if data["donor"] and chosen is None:
            form.add_error("donor_code", gettext("No such donor on your desk."))
        elif data["donor_code"] and not data["donor"]:
            donor = visible_donor_by_code(user, data["donor_code"], network=True)
            if donor is None:
                form.add_error(
                    "donor_code",
                    gettext(
                        "None of your donors (or more than one) has this code or e-mail: "
                        "record the donor first."
                    ),
                )
        if not form.errors:
            try:
                donation = donation_services.donation_record(
                    by=user,
                    donor=donor,
                    amount=data["amount"],
                    method=data["method"],
                    received_on=data["received_on"],
                    campaign=data["campaign"],
                    organisation=data["organisation"],
                    anonymous=data["anonymous"],
                    on_wall=data["on_wall"],
                    note=data["note"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied:
                form.add_error(
                    "organisation", gettext("You do not raise funds for this organisation.")
                )
            else:
                messages.success(
                    request,
                    gettext("The gift of %(amount)s is recorded as received.")
                    % {"amount": euro(donation.amount)},
                )
                return redirect("fundraising:manage_donation", public_id=donation.public_id)
    return render(
        request,
        "fundraising/manage/donation_form.html",
        {"form": form, "chosen": chosen},
        status=_status(form),
    )


def _donation_page(
    request: HttpRequest,
    donation: Donation,
    *,
    status: int = 200,
    issue_errors: Sequence[str] = (),
    **forms: BaseForm,
) -> HttpResponse:
    """The donation's page; after a refused action (status 400), the refused form with
    its errors, which are also listed at the top (the form's section may be gone)."""
    user = request.user
    can_change = allowed(user, Action.CHANGE, donation)
    receipt = getattr(donation, "receipt", None)
    credits = donation.soft_credits.select_related("donor").order_by("pk")
    context: dict[str, Any] = {
        "donation": donation,
        "amount": euro(donation.amount),
        "receipt": receipt,
        "credits": credits,
        "can_change": can_change,
        "pledged": donation.status == DonationStatus.PLEDGED,
        "received": donation.status == DonationStatus.RECEIVED,
        "receipt_issuable": can_change
        and receipt is None
        and donation.status == DonationStatus.RECEIVED,
        "receipt_cancellable": can_change
        and receipt is not None
        and receipt.status == ReceiptStatus.ISSUED,
        "receive_form": forms.get("receive_form") or ReceiveForm(),
        "refund_form": forms.get("refund_form") or ReasonForm(prefix_id="refund"),
        "cancel_form": forms.get("cancel_form") or ReasonForm(prefix_id="cancel"),
        "credit_form": forms.get("credit_form") or SoftCreditForm(),
        "receipt_cancel_form": forms.get("receipt_cancel_form")
        or ReasonForm(prefix_id="receipt-cancel"),
    }
    refused: list[str] = []
    for form in forms.values():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            refused += [f"{label}: {e}" if label else str(e) for e in errors]
    context["refused"] = refused + list(issue_errors)
    return render(request, "fundraising/manage/donation_detail.html", context, status=status)


@never_cache
@login_required
@require_GET
def donation_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """A gift: who, to what, how much, its state and history's dates, its receipt, the
    soft credits; and what the fundraiser can do with it."""
    return _donation_page(request, donation_or_404(request, public_id))


def _changed_donation(request: HttpRequest, public_id: UUID) -> Donation:
    donation = donation_or_404(request, public_id)
    require_change(request.user, donation)
    return donation


def _done(request: HttpRequest, donation: Donation, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("fundraising:manage_donation", public_id=donation.public_id)


@never_cache
@login_required
@require_POST
def donation_receive(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The promised money arrived, on the date given."""
    donation = _changed_donation(request, public_id)
    form = ReceiveForm(request.POST)
    if form.is_valid():
        try:
            donation = donation_services.donation_receive(
                donation=donation, by=me(request), received_on=form.cleaned_data["received_on"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _done(request, donation, gettext("The gift is recorded as received."))
    return _donation_page(request, donation, status=400, receive_form=form)


@never_cache
@login_required
@require_POST
def donation_refund(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Give a received gift back, saying why; its receipt is cancelled."""
    donation = _changed_donation(request, public_id)
    form = ReasonForm(request.POST, prefix_id="refund")
    if form.is_valid():
        try:
            donation = donation_services.donation_refund(
                donation=donation, by=me(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _done(
                request,
                donation,
                gettext("The gift is refunded; its receipt, if any, is cancelled."),
            )
    return _donation_page(request, donation, status=400, refund_form=form)


@never_cache
@login_required
@require_POST
def donation_cancel(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """A pledge that will not be kept."""
    donation = _changed_donation(request, public_id)
    form = ReasonForm(request.POST, prefix_id="cancel")
    if form.is_valid():
        # Which gifts can be cancelled is the service's rule; cancelling twice (a double
        # click) changes nothing and says so.
        already = donation.status == DonationStatus.CANCELLED
        try:
            donation = donation_services.donation_cancel(
                donation=donation, by=me(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            message = (
                gettext("This pledge was already cancelled.")
                if already
                else gettext("The pledge is cancelled.")
            )
            return _done(request, donation, message)
    return _donation_page(request, donation, status=400, cancel_form=form)


@never_cache
@login_required
@require_POST
def donation_soft_credit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Credit the gift also to somebody who did not pay it: the employer whose staff
    gave, the person remembered, the group on whose behalf it was given."""
    donation = _changed_donation(request, public_id)
    user = me(request)
    form = SoftCreditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        donor = None
        if data["donor_code"]:
            donor = visible_donor_by_code(user, data["donor_code"])
            if donor is None:
                form.add_error(
                    "donor_code",
                    gettext("None of your donors (or more than one) has this code or e-mail."),
                )
        if not form.errors:
            try:
                donation_services.soft_credit_add(
                    donation=donation, by=user, kind=data["kind"], donor=donor, name=data["name"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _done(request, donation, gettext("The credit is added."))
    return _donation_page(request, donation, status=400, credit_form=form)


@never_cache
@login_required
@require_POST
def donation_receipt_issue(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Issue the receipt of a received gift that has none."""
    donation = _changed_donation(request, public_id)
    if getattr(donation, "receipt", None) is not None:
        return _donation_page(
            request,
            donation,
            status=400,
            issue_errors=[gettext("This gift already has its receipt.")],
        )
    try:
        receipt = receipt_issue(donation=donation, by=me(request))
    except ValidationError as exc:
        return _donation_page(
            request,
            donation,
            status=400,
            issue_errors=exc.messages,
        )
    return _done(
        request,
        donation,
        gettext("Receipt No. %(number)s/%(year)s is issued.")
        % {"number": receipt.number, "year": receipt.year},
    )


# --- Receipts -----------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def receipt_list(request: HttpRequest) -> HttpResponse:
    """The receipts on the desk, by issuer, year and number (newest first), filtered by
    year."""
    require_desk(request)
    user = request.user
    form = ReceiptFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "fundraising/manage/receipt_list.html",
            {"form": form, "page": None, "rows": []},
            status=400,
        )
    qs = desk_receipts(user).select_related("organisation", "donation__donor")
    year = form.cleaned_data.get("year") if form.is_bound else None
    if year:
        qs = qs.filter(year=year)
    page = Paginator(
        qs.order_by("-year", "organisation__name", "-number", "-pk"), RECEIPTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    rows = [{"receipt": r, "amount": euro(r.donation.amount)} for r in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "fundraising/manage/receipt_list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


def _pdf_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _file_name(receipt: Receipt, suffix: str = "") -> str:
    return receipt_file_name(receipt).rsplit("/", 1)[-1].replace(".pdf", f"{suffix}.pdf")


@never_cache
@login_required
@require_GET
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF of the receipt as it was issued (from the private storage)."""
    receipt = receipt_or_404(request, pk)
    if not receipt.pdf:
        raise Http404(gettext("The PDF of this receipt is missing: reprint it."))
    try:
        with receipt.pdf.open("rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        raise Http404(gettext("The PDF of this receipt is missing: reprint it.")) from None
    audit_read(
        objs=[receipt],
        action=AccessEvent.Action.EXPORT,
        purpose="receipt PDF",
        subject_user=subject_of,
    )
    return _pdf_response(content, _file_name(receipt))


@never_cache
@login_required
@require_GET
def receipt_reprint_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt printed again from the words it was issued with (marked cancelled,
    with the date and the reason, once cancelled); the service logs the read."""
    receipt = receipt_or_404(request, pk)
    content = receipt_reprint(receipt, me(request))
    return _pdf_response(content, _file_name(receipt, "-ristampa"))


@never_cache
@login_required
@require_POST
def receipt_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a receipt, saying why: it keeps its number, never given again."""
    receipt = receipt_or_404(request, pk)
    require_change(request.user, receipt)
    donation = donation_or_404(request, receipt.donation.public_id)
    form = ReasonForm(request.POST, prefix_id="receipt-cancel")
    if form.is_valid():
        try:
            receipt_cancel(receipt=receipt, by=me(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _done(
                request,
                donation,
                gettext("Receipt No. %(number)s/%(year)s is cancelled.")
                % {"number": receipt.number, "year": receipt.year},
            )
    return _donation_page(request, donation, status=400, receipt_cancel_form=form)


urlpatterns: list[URLPattern] = [
    path("gestione/donatori/", donor_list, name="manage_donors"),
    path("gestione/donatori/nuovo/", donor_create, name="manage_donor_create"),
    path("gestione/donatori/<uuid:public_id>/", donor_detail, name="manage_donor"),
    path("gestione/donatori/<uuid:public_id>/modifica/", donor_edit, name="manage_donor_edit"),
    path(
        "gestione/donatori/<uuid:public_id>/consenso/", donor_consent, name="manage_donor_consent"
    ),
    path(
        "gestione/donatori/<uuid:public_id>/mensili/<int:pk>/ferma/",
        monthly_gift_stop,
        name="manage_monthly_gift_stop",
    ),
    path("gestione/doni/", donation_list, name="manage_donations"),
    path("gestione/doni/nuovo/", donation_record, name="manage_donation_record"),
    path("gestione/doni/<uuid:public_id>/", donation_detail, name="manage_donation"),
    path(
        "gestione/doni/<uuid:public_id>/ricevuto/",
        donation_receive,
        name="manage_donation_receive",
    ),
    path(
        "gestione/doni/<uuid:public_id>/rimborso/", donation_refund, name="manage_donation_refund"
    ),
    path("gestione/doni/<uuid:public_id>/annulla/", donation_cancel, name="manage_donation_cancel"),
    path(
        "gestione/doni/<uuid:public_id>/credito/",
        donation_soft_credit,
        name="manage_donation_soft_credit",
    ),
    path(
        "gestione/doni/<uuid:public_id>/ricevuta/",
        donation_receipt_issue,
        name="manage_donation_receipt_issue",
    ),
    path("gestione/ricevute/", receipt_list, name="manage_receipts"),
    path("gestione/ricevute/<int:pk>/pdf/", receipt_pdf, name="manage_receipt_pdf"),
    path(
        "gestione/ricevute/<int:pk>/ristampa/",
        receipt_reprint_pdf,
        name="manage_receipt_reprint",
    ),
    path("gestione/ricevute/<int:pk>/annulla/", receipt_cancel_view, name="manage_receipt_cancel"),
    *manage_exports.urlpatterns,
]
