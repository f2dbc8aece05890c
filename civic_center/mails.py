"""Mails to a family about its place in a group, in the family's language: a group is
proposed, its price changed, it is confirmed, it went ahead without the family, it is
cancelled; and to the provider's staff about their groups. Each is recorded under its
key before it leaves, so it leaves once; a family's mail whose news is no longer true
(the family answered, the group changed) does not leave."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civic_center import windows
from civic_center.models import Agreement, AgreementMail, AgreementMember, MemberStatus
from legami.roles import Role

# A family's mail leaves only if what it says is still true when it is sent.
STILL_TRUE = {
    "proposed": (MemberStatus.PROPOSED,),
    "repriced": (MemberStatus.PROPOSED, MemberStatus.ACCEPTED),
    "confirmed": (MemberStatus.ACCEPTED,),
    "lapsed": (MemberStatus.LAPSED,),
    "cancelled": (MemberStatus.CANCELLED,),
}


def agreement_message(member: AgreementMember, kind: str) -> EmailMessage:
    agreement = member.agreement
    demand = member.demand
    language = getattr(demand.family, "language", "") or "it"
    with translation.override(language):
        subjects = {
            "proposed": _("A group is ready for you: %(service)s"),
            "repriced": _("New group price: %(service)s"),
            "confirmed": _("Your group is confirmed: %(service)s"),
            "lapsed": _("Your group went ahead without you: %(service)s"),
            "cancelled": _("Your group is cancelled: %(service)s"),
        }
        context = {
            "kind": kind,
            "member": member,
            "agreement": agreement,
            "offer": agreement.offer,
            "demand": demand,
            "schedule": ", ".join(
                f"{windows.short_label(int(w))} ({u})" for w, u in sorted(member.split.items())
            ),
            "link": settings.SITE_URL + demand.get_absolute_url(),
        }
        subject = subjects[kind] % {"service": demand.category.label}
        body = render_to_string("civic_center/email/agreement.txt", context)
    return EmailMessage(subject=f"[Legami] {subject}", body=body, to=[demand.contact_email])


def agreement_mail_send(*, key: str, member_id: int, kind: str) -> bool:
    """Send the mail of ``key`` unless it was sent (recorded in the same transaction as
    the sending: a re-delivered task sends nothing; a failed send records nothing)."""
    with transaction.atomic():
        member = (
            AgreementMember.objects.select_for_update(of=("self",))
            .select_related("agreement__offer__organisation", "demand__category", "demand__family")
            .filter(pk=member_id)
            .first()
        )
        if member is None or not member.demand.contact_email:
            return False
        if AgreementMail.objects.filter(key=key).exists():
            return False
        if member.status not in STILL_TRUE[kind]:
            return False  # the family answered, or the group changed, before the mail left
        AgreementMail.objects.create(
            key=key, member=member, agreement=member.agreement, sent_at=timezone.now()
        )
        agreement_message(member, kind).send()
    return True


def provider_message(agreement: Agreement, kind: str, user: Any) -> EmailMessage:
    with translation.override(getattr(user, "language", "") or "it"):
        subjects = {
            "proposed": _("A group has been proposed for your offer: %(offer)s"),
            "answered": _("The families have answered: %(offer)s"),
            "repriced": _("New group price: %(offer)s"),
            "withdrawn": _("A family left a confirmed group: %(offer)s"),
            "cancelled": _("A group is cancelled: %(offer)s"),
        }
        subject = subjects[kind] % {"offer": agreement.offer.title}
        body = render_to_string(
            "civic_center/email/provider.txt",
            {
                "kind": kind,
                "agreement": agreement,
                "offer": agreement.offer,
                "link": settings.SITE_URL + agreement.get_absolute_url(),
            },
        )
    return EmailMessage(subject=f"[Legami] {subject}", body=body, to=[user.email])


def provider_mail_send(*, key: str, agreement_id: int, kind: str) -> int:
    """Mail the lead organisation's partner staff about a group, once per key (recorded
    in the same transaction as the sending). Returns how many mails left."""
    with transaction.atomic():
        agreement = (
            Agreement.objects.select_for_update(of=("self",))
            .select_related("offer__organisation")
            .filter(pk=agreement_id)
            .first()
        )
        if agreement is None or AgreementMail.objects.filter(key=key).exists():
            return 0
        today = timezone.localdate()
        staff = list(
            get_user_model()
            .objects.filter(
                is_active=True,
                memberships__organisation=agreement.offer.organisation_id,
                memberships__role=Role.PARTNER_STAFF,
                memberships__start_date__lte=today,
            )
            .filter(Q(memberships__end_date__isnull=True) | Q(memberships__end_date__gte=today))
            .distinct()
        )
        AgreementMail.objects.create(key=key, agreement=agreement, sent_at=timezone.now())
        for user in staff:
            provider_message(agreement, kind, user).send()
    return len(staff)
