"""Mails to a family about its place in a group, in the family's language: a group is
proposed, its price changed, it is confirmed, it went ahead without the family, it is
cancelled. Each is recorded under its key before it leaves, so it leaves once."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civic_center import windows
from civic_center.models import AgreementMail, AgreementMember


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
        AgreementMail.objects.create(
            key=key, member=member, agreement=member.agreement, sent_at=timezone.now()
        )
        agreement_message(member, kind).send()
    return True
