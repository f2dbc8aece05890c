"""Referrals: the consent date, the decision of the receiving organisation's coordinator,
and the receiving worker's access to the file only while the referral is accepted and
open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from beneficiaries.models import Person, ReferralStatus
from beneficiaries.services.cases import (
    referral_accept,
    referral_close,
    referral_decline,
    referral_request,
)
from legami.policy import Action, allowed, visible_to
from tests.beneficiaries.factories import assign
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiving(make_user):
    """A receiving organisation with its coordinator and a worker."""
    organisation = OrganisationFactory()
    boss = make_user("boss@example.org")
    MembershipFactory(user=boss, organisation=organisation, role="coordinator")
    worker = make_user("receiver@example.org")
    MembershipFactory(user=worker, organisation=organisation, role="operator")
    return organisation, boss, worker


def _sees(user, person) -> bool:
    user.__dict__.pop("_legami_subject", None)
    return visible_to(user, Person, Action.READ).filter(pk=person.pk).exists()


def test_a_referral_needs_the_consent_date(social_worker, receiving):
    case = assign(social_worker)
    with pytest.raises(ValidationError) as exc:
        referral_request(
            case=case,
            to_organisation=receiving[0],
            reason="x",
            consent_given_on=None,
            actor=social_worker,
        )
    assert "consent_given_on" in exc.value.error_dict
    with pytest.raises(ValidationError):
        referral_request(
            case=case,
            to_organisation=receiving[0],
            reason="x",
            consent_given_on=timezone.localdate() + dt.timedelta(days=1),
            actor=social_worker,
        )
    assert not case.referrals.exists()


def test_the_receiving_worker_sees_the_file_only_while_accepted_and_open(social_worker, receiving):
    organisation, boss, worker = receiving
    case = assign(social_worker)
    referral = referral_request(
        case=case,
        to_organisation=organisation,
        reason="Sostegno educativo",
        consent_given_on=dt.date(2025, 3, 1),
        actor=social_worker,
    )
    assert not _sees(worker, case.person)  # requested: not yet
    assert not _sees(boss, case.person)  # the coordinator reads the referral, not the file
    assert allowed(boss, Action.READ, referral)

    with pytest.raises(PermissionDenied):  # the sending worker does not decide
        referral_accept(referral=referral, receiving_worker=worker, actor=social_worker)
    referral_accept(referral=referral, receiving_worker=worker, actor=boss)
    assert referral.status == ReferralStatus.ACCEPTED
    assert _sees(worker, case.person)

    referral_close(referral=referral, actor=social_worker)
    assert not _sees(worker, case.person)  # closed: no more


def test_the_receiving_worker_must_work_there(social_worker, receiving, make_user):
    organisation, boss, _ = receiving
    case = assign(social_worker)
    referral = referral_request(
        case=case,
        to_organisation=organisation,
        reason="r",
        consent_given_on=dt.date(2025, 3, 1),
        actor=social_worker,
    )
    with pytest.raises(ValidationError):
        referral_accept(referral=referral, receiving_worker=social_worker, actor=boss)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REQUESTED


def test_a_declined_referral_gives_no_access_and_needs_a_reason(social_worker, receiving):
    organisation, boss, worker = receiving
    case = assign(social_worker)
    referral = referral_request(
        case=case,
        to_organisation=organisation,
        reason="r",
        consent_given_on=dt.date(2025, 3, 1),
        actor=social_worker,
    )
    with pytest.raises(ValidationError):
        referral_decline(referral=referral, reason=" ", actor=boss)
    referral_decline(referral=referral, reason="Nessun posto disponibile", actor=boss)
    assert referral.status == ReferralStatus.DECLINED
    assert not _sees(worker, case.person)
    with pytest.raises(ValidationError):
        referral_accept(referral=referral, receiving_worker=worker, actor=boss)


def test_one_open_referral_per_organisation(social_worker, receiving):
    case = assign(social_worker)
    kwargs = {
        "case": case,
        "to_organisation": receiving[0],
        "reason": "r",
        "consent_given_on": dt.date(2025, 3, 1),
        "actor": social_worker,
    }
    referral_request(**kwargs)
    with pytest.raises(ValidationError):
        referral_request(**kwargs)


def test_the_inbox_lists_referrals_without_naming_the_person_and_accepts_them(
    social_worker, receiving, client, enable_totp
):
    organisation, boss, worker = receiving
    case = assign(social_worker)
    referral = referral_request(
        case=case,
        to_organisation=organisation,
        reason="Sostegno educativo",
        consent_given_on=dt.date(2025, 3, 1),
        actor=social_worker,
    )
    enable_totp(boss)
    client.force_login(boss)
    page = client.get("/cases/referrals/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sostegno educativo" in html
    assert case.person.last_name not in html
    response = client.post(
        f"/cases/referrals/{referral.pk}/decide/",
        {f"r{referral.pk}-decision": "accept", f"r{referral.pk}-receiving_worker": worker.pk},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.receiving_worker) == (ReferralStatus.ACCEPTED, worker)
    assert _sees(worker, case.person)
