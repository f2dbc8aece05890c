"""Group agreements: families answer, the provider confirms or cancels, and every
change of the group re-prices it for the families still in.

A group is priced from the offer's terms as they were when it was proposed (kept on the
agreement), never from a later edit of the offer. A family's "yes" is a yes to a price:
when the price rises, every family is asked again (and a confirmed group goes back to
proposed until the provider confirms it again); when it falls, the answers stand.

Every change locks the agreement's row first and only then touches its families'
demands, so two families answering at the same moment are counted one after the other,
and the lock order (agreement, then demands) is the same everywhere."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civic_center import pricing
from civic_center.models import (
    ACTIVE_MEMBER,
    Agreement,
    AgreementEvent,
    AgreementMember,
    AgreementStatus,
    DemandStatus,
    MemberStatus,
    Offer,
)
from legami.audit import audit_change
from legami.policy import Action, require


def offer_tiers(offer: Offer) -> tuple[pricing.Tier, ...]:
    return tuple(pricing.Tier(t.min_families, t.unit_price) for t in offer.tiers.all())


def agreement_tiers(agreement: Agreement) -> tuple[pricing.Tier, ...]:
    """The tiers the group was proposed with."""
    return tuple(pricing.Tier(int(n), pricing.cents(Decimal(p))) for n, p in agreement.tiers)


def answer_deadline() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.CIVIC_ANSWER_DAYS)


def _lock(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_for_update().select_related("offer").get(pk=agreement.pk)


def _event(agreement: Agreement, kind: str, actor: Any, **data: Any) -> None:
    AgreementEvent.objects.create(agreement=agreement, kind=kind, actor=actor, data=data)


def _mail(agreement: Agreement, members: list[AgreementMember], kind: str) -> None:
    """Mail each family (after commit, once per key)."""
    from civic_center.tasks import send_agreement_mail

    for member in members:
        key = f"{kind}:{agreement.pk}:{member.pk}:{agreement.price_version}"
        transaction.on_commit(partial(send_agreement_mail.delay, key, member.pk, kind))


def _mail_provider(agreement: Agreement, kind: str, version: str = "") -> None:
    """Mail the lead organisation's staff about the group (after commit, once per key)."""
    from civic_center.tasks import send_provider_mail

    key = f"provider:{kind}:{agreement.pk}:{version or agreement.price_version}"
    transaction.on_commit(partial(send_provider_mail.delay, key, agreement.pk, kind))


def _reopen(members: list[AgreementMember], status: str) -> None:
    """Members leave the group; their demands go back to the pool (unless withdrawn)."""
    now = timezone.now()
    for member in members:
        member.status = status
        member.answered_at = member.answered_at or now
        member.save(update_fields=["status", "answered_at"])
        demand = member.demand
        if demand.status in (DemandStatus.PROPOSED, DemandStatus.AGREED):
            demand.status = DemandStatus.OPEN
            demand.save(update_fields=["status"])


def _cancel(agreement: Agreement, actor: Any, reason: str) -> None:
    live = list(agreement.members.filter(status__in=ACTIVE_MEMBER).select_related("demand"))
    _reopen(live, MemberStatus.CANCELLED)
    agreement.status = AgreementStatus.CANCELLED
    agreement.cancelled_at = timezone.now()
    agreement.save(update_fields=["status", "cancelled_at"])
    _event(agreement, AgreementEvent.Kind.CANCELLED, actor, reason=reason)
    audit_change(obj=agreement, action="update", changes={"status": ["", "cancelled"]}, actor=actor)
    _mail(agreement, live, "cancelled")
    if reason != "provider":
        _mail_provider(agreement, "cancelled")


def _counted(agreement: Agreement) -> list[str]:
    if agreement.status == AgreementStatus.CONFIRMED:
        return [MemberStatus.ACCEPTED]
    return list(ACTIVE_MEMBER)


def _reprice(agreement: Agreement, actor: Any, *, notify: bool = True) -> None:
    """Price the group for the families still in: the tier their number reaches. Below
    the smallest group (or with nobody left) the group is cancelled. A higher price
    asks every family again: their answers go back to "proposed" with a new deadline,
    and a confirmed group goes back to proposed."""
    size = agreement.members.filter(status__in=_counted(agreement)).count()
    smallest = 1 if agreement.solo else agreement.min_group_size
    if size == 0 or size < smallest:
        _cancel(agreement, actor, "below_minimum")
        return
    tiers = agreement_tiers(agreement)
    price = pricing.unit_price(tiers, pricing.Mode(agreement.pricing_mode), size)
    if price == agreement.unit_price and size == agreement.group_size:
        return
    before = agreement.unit_price
    agreement.group_size = size
    agreement.tier_min_families = pricing.tier_reached(tiers, size)
    agreement.unit_price = price
    agreement.price_version += 1
    fields = ["group_size", "tier_min_families", "unit_price", "price_version"]
    rose = price > before
    if rose:
        agreement.answer_by = answer_deadline()
        fields.append("answer_by")
        if agreement.status == AgreementStatus.CONFIRMED:
            agreement.status = AgreementStatus.PROPOSED
            agreement.confirmed_at = None
            agreement.confirmed_by = None
            fields += ["status", "confirmed_at", "confirmed_by"]
    agreement.save(update_fields=fields)
    if price == before:
        return
    live = list(agreement.members.filter(status__in=ACTIVE_MEMBER).select_related("demand"))
    if rose:
        for member in live:
            member.status = MemberStatus.PROPOSED
            member.answered_at = None
            member.save(update_fields=["status", "answered_at"])
            if member.demand.status == DemandStatus.AGREED:
                member.demand.status = DemandStatus.PROPOSED
                member.demand.save(update_fields=["status"])
    above = [m.demand.pseudonym for m in live if price > m.demand.max_unit_price]
    _event(
        agreement,
        AgreementEvent.Kind.REPRICED,
        actor,
        size=size,
        before=str(before),
        after=str(price),
        above_ceiling=above,
        asked_again=rose,
    )
    if notify:
        _mail(agreement, live, "repriced")
        _mail_provider(agreement, "repriced")


def _member_for_change(member: AgreementMember, by: Any) -> tuple[Agreement, AgreementMember]:
    require(by, Action.CHANGE, "civic_center.agreementmember", member)
    agreement = _lock(member.agreement)
    locked = AgreementMember.objects.select_related("demand").get(pk=member.pk)
    return agreement, locked


def member_accept(
    *, member: AgreementMember, by: Any, price_version: int | None = None
) -> AgreementMember:
    """The family says yes to the proposed group at its current price. With
    ``price_version`` (the version the family's page showed), a price that changed
    meanwhile is refused: the family answers the new price."""
    with transaction.atomic():
        agreement, member = _member_for_change(member, by)
        if agreement.status != AgreementStatus.PROPOSED or member.status != MemberStatus.PROPOSED:
            raise ValidationError(_("This proposal can no longer be accepted."))
        if price_version is not None and price_version != agreement.price_version:
            raise ValidationError(
                _(
                    "The group's price has changed since the page was shown: it is now "
                    "%(price)s €. Look at it again and answer."
                )
                % {"price": agreement.unit_price}
            )
        member.status = MemberStatus.ACCEPTED
        member.answered_at = timezone.now()
        member.save(update_fields=["status", "answered_at"])
        _event(agreement, AgreementEvent.Kind.ACCEPTED, by, member=member.demand.pseudonym)
        if not agreement.members.filter(status=MemberStatus.PROPOSED).exists():
            _mail_provider(agreement, "answered")
    return member


def member_decline(*, member: AgreementMember, by: Any) -> AgreementMember:
    """The family says no: its demand goes back to the pool, and the group is re-priced
    for the others."""
    with transaction.atomic():
        agreement, member = _member_for_change(member, by)
        if agreement.status != AgreementStatus.PROPOSED or member.status != MemberStatus.PROPOSED:
            raise ValidationError(_("This proposal can no longer be declined."))
        _reopen([member], MemberStatus.DECLINED)
        _event(agreement, AgreementEvent.Kind.DECLINED, by, member=member.demand.pseudonym)
        _reprice(agreement, by)
    return member


def member_withdraw(*, member: AgreementMember, by: Any) -> AgreementMember:
    """The family leaves the group before the service starts: its demand goes back to
    the pool, and the others are told the group's new price (or that it is cancelled,
    below the smallest group)."""
    with transaction.atomic():
        agreement, member = _member_for_change(member, by)
        if agreement.status == AgreementStatus.CANCELLED or member.status not in ACTIVE_MEMBER:
            raise ValidationError(_("You are no longer in this group."))
        if (
            agreement.status == AgreementStatus.CONFIRMED
            and agreement.start_date <= timezone.localdate()
        ):
            raise ValidationError(
                _("The service has started: to stop it, speak with the provider.")
            )
        _reopen([member], MemberStatus.WITHDRAWN)
        _event(agreement, AgreementEvent.Kind.WITHDRAWN, by, member=member.demand.pseudonym)
        if agreement.status == AgreementStatus.CONFIRMED:
            _mail_provider(agreement, "withdrawn", version=f"m{member.pk}")
        _reprice(agreement, by)
    return member


def _is_new_family(member: AgreementMember) -> bool:
    """No earlier confirmed group for this family (by account, else by address)."""
    demand = member.demand
    if demand.family_id is not None:
        same_family = Q(demand__family_id=demand.family_id)
    elif demand.contact_email:
        same_family = Q(demand__contact_email__iexact=demand.contact_email)
    else:
        return True
    return not (
        AgreementMember.objects.filter(
            same_family,
            status=MemberStatus.ACCEPTED,
            agreement__status=AgreementStatus.CONFIRMED,
        )
        .exclude(pk=member.pk)
        .exists()
    )


def agreement_confirm(*, agreement: Agreement, by: Any) -> Agreement:
    """The provider confirms the group of the families who accepted: the unit price is
    fixed for them, families who did not answer drop out, and their contact details are
    released to the provider (the policy's ``civic_center.demand_contact``). Refused
    while the families who accepted would pay more than the price they accepted."""
    require(by, Action.CHANGE, "civic_center.agreement", agreement)
    with transaction.atomic():
        locked = _lock(agreement)
        if locked.status != AgreementStatus.PROPOSED:
            raise ValidationError(_("Only a proposed group can be confirmed."))
        accepted = list(
            locked.members.filter(status=MemberStatus.ACCEPTED).select_related("demand")
        )
        smallest = 1 if locked.solo else locked.min_group_size
        if len(accepted) < smallest:
            raise ValidationError(
                _("Too few families have accepted: the group starts from %(n)s.") % {"n": smallest}
            )
        price = pricing.unit_price(
            agreement_tiers(locked), pricing.Mode(locked.pricing_mode), len(accepted)
        )
        if price > locked.unit_price:
            raise ValidationError(
                _(
                    "Only %(n)s families have accepted: with them alone the price would rise "
                    "to %(price)s €, which they have not accepted. Wait for the other families "
                    "to answer (or for their time to answer to run out)."
                )
                % {"n": len(accepted), "price": price}
            )
        silent = list(locked.members.filter(status=MemberStatus.PROPOSED).select_related("demand"))
        _reopen(silent, MemberStatus.LAPSED)
        _mail(locked, silent, "lapsed")
        locked.status = AgreementStatus.CONFIRMED
        locked.confirmed_at = timezone.now()
        locked.confirmed_by = by
        locked.save(update_fields=["status", "confirmed_at", "confirmed_by"])
        _reprice(locked, by, notify=False)  # the price can only stay or fall here
        for member in accepted:
            member.is_new_family = _is_new_family(member)
            member.save(update_fields=["is_new_family"])
            member.demand.status = DemandStatus.AGREED
            member.demand.save(update_fields=["status"])
        _event(
            locked,
            AgreementEvent.Kind.CONFIRMED,
            by,
            size=locked.group_size,
            price=str(locked.unit_price),
        )
        audit_change(obj=locked, action="update", changes={"status": ["", "confirmed"]}, actor=by)
        _mail(locked, accepted, "confirmed")
    return locked


def agreement_cancel(*, agreement: Agreement, by: Any) -> Agreement:
    """The provider calls the group off (before the service starts): the families'
    demands go back to the pool and they are told."""
    require(by, Action.CHANGE, "civic_center.agreement", agreement)
    with transaction.atomic():
        locked = _lock(agreement)
        if locked.status == AgreementStatus.CANCELLED:
            raise ValidationError(_("This group is already cancelled."))
        if locked.status == AgreementStatus.CONFIRMED and locked.start_date <= timezone.localdate():
            raise ValidationError(_("The service has started and cannot be cancelled here."))
        _cancel(locked, by, "provider")
    return locked


def agreements_lapse_unanswered(*, now: dt.datetime | None = None) -> int:
    """Families who did not answer a proposal by its deadline drop out (their demands go
    back to the pool) and the group is re-priced for the others: the beat job, hourly.
    Returns how many groups changed."""
    now = now or timezone.now()
    due = list(
        Agreement.objects.filter(
            status=AgreementStatus.PROPOSED,
            answer_by__lt=now,
            members__status=MemberStatus.PROPOSED,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    for pk in due:
        with transaction.atomic():
            locked = Agreement.objects.select_for_update().get(pk=pk)
            if locked.status != AgreementStatus.PROPOSED or not (
                locked.answer_by and locked.answer_by < now
            ):
                continue
            silent = list(
                locked.members.filter(status=MemberStatus.PROPOSED).select_related("demand")
            )
            _reopen(silent, MemberStatus.LAPSED)
            _mail(locked, silent, "lapsed")
            _reprice(locked, None)
            _mail_provider(locked, "answered", version=f"lapsed{locked.price_version}")
    return len(due)
