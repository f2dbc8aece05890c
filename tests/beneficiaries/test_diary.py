"""The case diary: confidential notes are read by the assigned workers and the
coordinators of the ambito, not by a worker who sees the file through a referral."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from beneficiaries.models import DiaryCategory, DiaryNote
from beneficiaries.services.cases import diary_note_add, referral_accept, referral_request
from tests.beneficiaries.factories import assign
from tests.legami.factories import AmbitoFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def diary(social_worker, coordinator, make_user):
    ambito = AmbitoFactory()
    coordinator.memberships.get().organisation.ambiti.add(ambito)
    case = assign(social_worker, ambito=ambito)
    open_note = diary_note_add(
        case=case, category=DiaryCategory.INTERVIEW, text="Primo colloquio.", actor=social_worker
    )
    secret = diary_note_add(
        case=case,
        category=DiaryCategory.HOME_VISIT,
        text="Situazione familiare delicata.",
        confidential=True,
        actor=social_worker,
    )
    organisation = OrganisationFactory()
    boss = make_user("boss@example.org")
    MembershipFactory(user=boss, organisation=organisation, role="coordinator")
    receiver = make_user("receiver@example.org")
    MembershipFactory(user=receiver, organisation=organisation, role="operator")
    referral = referral_request(
        case=case,
        to_organisation=organisation,
        reason="r",
        consent_given_on=dt.date(2025, 3, 1),
        actor=social_worker,
    )
    referral_accept(referral=referral, receiving_worker=receiver, actor=boss)
    return {"case": case, "open": open_note, "secret": secret, "receiver": receiver}


def _page_notes(client, case) -> str:
    response = client.get(f"/cases/p/{case.person.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_assigned_worker_and_the_coordinator_read_confidential_notes(
    diary, social_worker_client, coordinator_client
):
    for client in (social_worker_client, coordinator_client):
        page = _page_notes(client, diary["case"])
        assert "Primo colloquio." in page
        assert "Situazione familiare delicata." in page


def test_a_worker_through_a_referral_does_not_read_confidential_notes(diary, client, enable_totp):
    enable_totp(diary["receiver"])
    client.force_login(diary["receiver"])
    page = _page_notes(client, diary["case"])
    assert "Primo colloquio." in page
    assert "Situazione familiare delicata." not in page


def test_a_note_needs_text_and_access(diary, make_user):
    stranger = make_user("stranger@example.org", role="operator")
    with pytest.raises(PermissionDenied):
        diary_note_add(case=diary["case"], category="note", text="x", actor=stranger)
    with pytest.raises(ValidationError):
        diary_note_add(
            case=diary["case"],
            category="note",
            text="  ",
            actor=diary["case"].assignments.get().worker,
        )
    assert DiaryNote.objects.count() == 2
