"""The pact's services: drafting and editing (a draft only, with clear messages, each
change in the audit trail), signing (who may sign for whom), renewal, the scan of the
signed copy and work placements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from beneficiaries.models import Case, Person
from legami.models import ChangeEvent
from legami.roles import Role
from pacts.models import (
    CommitmentDirection,
    CommitmentKind,
    Goal,
    Pact,
    PactStatus,
    Placement,
    PlacementOutcome,
    Signatory,
    SignatoryKind,
)
from pacts.services import follow, pacts
from pacts.services.pacts import SCAN_MAX_BYTES
from tests.beneficiaries.factories import CaseAssignmentFactory, assign
from tests.pacts.factories import draft_pact, pact_in
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

S = PactStatus


def today() -> dt.date:
    return timezone.localdate()


def history(obj, action=None, pk=None):
    events = ChangeEvent.objects.filter(
        target_type=f"{obj._meta.app_label}.{obj._meta.model_name}",
        target_id=str(pk or obj.pk),
    )
    return events.filter(action=action) if action else events


@pytest.fixture
def partner(partner_user):
    return partner_user.memberships.get().organisation


@pytest.fixture
def draft(social_worker, partner):
    return draft_pact(social_worker, partner=partner)


# --- Creating ------------------------------------------------------------------------------


def test_a_new_pact_is_a_draft_signed_by_the_person_and_the_case_worker(social_worker):
    case = assign(social_worker)

    pact = pacts.pact_create(case=case, actor=social_worker, title="  Ripartire  ")

    assert (pact.status, pact.title, pact.person_id) == (S.DRAFT, "Ripartire", case.person_id)
    assert pact.created_by == social_worker
    kinds = dict(pact.signatories.values_list("kind", "user"))
    assert kinds == {SignatoryKind.BENEFICIARY: None, SignatoryKind.CASE_WORKER: social_worker.pk}
    assert history(pact, "create").get().changes["title"] == [None, "Ripartire"]
    for signatory in pact.signatories.all():
        assert history(signatory, "create").exists()


def test_a_pact_needs_a_title_sane_dates_and_an_open_case(social_worker):
    case = assign(social_worker)
    with pytest.raises(ValidationError) as no_title:
        pacts.pact_create(case=case, actor=social_worker, title=" ")
    assert no_title.value.message_dict == {"title": ["Give the pact a title."]}
    with pytest.raises(ValidationError) as dates:
        pacts.pact_create(
            case=case,
            actor=social_worker,
            title="Patto",
            start_date=today(),
            end_date=today() - dt.timedelta(days=1),
            review_every_weeks=53,
        )
    assert set(dates.value.message_dict) == {"end_date", "review_every_weeks"}
    Case.objects.filter(pk=case.pk).update(
        stage="closed", closed_on=today(), closure_reason="goals_reached"
    )
    case.refresh_from_db()
    with pytest.raises(ValidationError) as closed:
        pacts.pact_create(case=case, actor=social_worker, title="Patto")
    assert closed.value.code == "closed"
    assert not Pact.objects.exists()


def test_only_a_worker_of_the_case_drafts_a_pact(social_worker, make_user, partner_user):
    case = assign(social_worker)
    for outsider in (make_user(role=Role.OPERATOR), partner_user):
        with pytest.raises(PermissionDenied):
            pacts.pact_create(case=case, actor=outsider, title="Patto")


def test_a_restricted_file_gets_no_new_pact_and_no_proposal(social_worker, partner):
    pact = draft_pact(social_worker, partner=partner)
    Person.objects.filter(pk=pact.person_id).update(restricted=True)
    pact.refresh_from_db()
    with pytest.raises(ValidationError) as restricted:
        pacts.pact_create(case=pact.case, actor=social_worker, title="Altro")
    assert restricted.value.code == "restricted"
    with pytest.raises(ValidationError):
        pacts.pact_propose(pact=pact, actor=social_worker)


# --- Editing -------------------------------------------------------------------------------


def test_a_draft_is_updated_with_its_changes_audited(draft, social_worker):
    pact = pacts.pact_update(
        pact=draft, actor=social_worker, title=" Nuovo titolo ", review_every_weeks=4
    )
    assert (pact.title, pact.review_every_weeks) == ("Nuovo titolo", 4)
    changes = history(pact, "update").get().changes
    assert changes["title"] == ["Patto di prova", "Nuovo titolo"]
    assert changes["review_every_weeks"] == [8, 4]


def test_an_update_that_changes_nothing_writes_no_history(draft, social_worker):
    pacts.pact_update(pact=draft, actor=social_worker, title=draft.title)
    assert not history(draft, "update").exists()


def test_a_running_pact_may_be_rescheduled_but_not_rewritten(social_worker, partner_user):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    pact = pacts.pact_update(
        pact=pact,
        actor=social_worker,
        review_every_weeks=12,
        end_date=today() + dt.timedelta(days=90),
    )
    assert pact.review_every_weeks == 12
    with pytest.raises(ValidationError) as refused:
        pacts.pact_update(pact=pact, actor=social_worker, context="Altro")
    assert refused.value.code == "not_draft"
    with pytest.raises(ValidationError):
        pacts.pact_update(
            pact=pact, actor=social_worker, end_date=pact.start_date - dt.timedelta(1)
        )


@pytest.mark.parametrize("status", [S.PROPOSED, S.SIGNED, S.COMPLETED, S.INTERRUPTED])
def test_a_pact_being_signed_signed_or_over_is_not_rescheduled(status, social_worker, partner_user):
    """What the signatories sign (the planned end, the reviews) changes only in a draft."""
    pact = pact_in(status, worker=social_worker, partner_signer=partner_user)
    with pytest.raises(ValidationError):
        pacts.pact_update(pact=pact, actor=social_worker, review_every_weeks=2)
    pact.refresh_from_db()
    assert pact.review_every_weeks == 8


def test_an_unknown_field_is_a_programming_error(draft, social_worker):
    with pytest.raises(ValueError, match="status"):
        pacts.pact_update(pact=draft, actor=social_worker, status=S.ACTIVE)


def test_goals_are_added_changed_and_removed_in_a_draft(draft, social_worker, partner):
    goal = pacts.goal_add(
        pact=draft,
        actor=social_worker,
        description=" Frequentare il gruppo di cammino ",
        indicator="Presenze",
        target="2 volte al mese",
        target_date=today() + dt.timedelta(days=60),
        organisation=partner,
    )
    assert (goal.position, goal.description) == (2, "Frequentare il gruppo di cammino")
    assert history(goal, "create").exists()

    pacts.goal_update(goal=goal, actor=social_worker, target="3 volte al mese")
    assert history(goal, "update").get().changes == {
        "target": ["2 volte al mese", "3 volte al mese"]
    }
    pk = goal.pk
    pacts.goal_remove(goal=goal, actor=social_worker)
    assert not Goal.objects.filter(pk=pk).exists()
    assert history(goal, "delete", pk=pk).exists()


def test_a_goal_is_described_measured_and_dated(draft, social_worker):
    Pact.objects.filter(pk=draft.pk).update(start_date=today())
    draft.refresh_from_db()
    inactive = OrganisationFactory(is_active=False)
    with pytest.raises(ValidationError) as refused:
        pacts.goal_add(
            pact=draft,
            actor=social_worker,
            description=" ",
            indicator="",
            target_date=today() - dt.timedelta(days=1),
            organisation=inactive,
        )
    assert refused.value.message_dict == {
        "description": ["Describe the goal."],
        "indicator": ["Say how you will measure it."],
        "target_date": ["The target date comes before the pact starts."],
        "organisation": ["This organisation is no longer active in the network."],
    }


def test_commitments_fit_their_direction_and_have_an_owner(draft, social_worker):
    with pytest.raises(ValidationError) as refused:
        pacts.commitment_add(
            pact=draft,
            actor=social_worker,
            direction=CommitmentDirection.GIVES_BACK,
            kind=CommitmentKind.ECONOMIC,
            description="",
            quantity=Decimal(0),
            unit="euros",
            period="once",
        )
    assert set(refused.value.message_dict) == {"kind", "description", "quantity", "owner"}
    commitment = pacts.commitment_add(
        pact=draft,
        actor=social_worker,
        direction=CommitmentDirection.GIVES_BACK,
        kind=CommitmentKind.PEER_SUPPORT,
        description="Accompagna un vicino alla spesa",
        quantity=Decimal(1),
        unit="times",
        period="week",
        owner=" Parrocchia di San Michele ",
    )
    assert (commitment.owner, commitment.owner_label) == ("Parrocchia di San Michele",) * 2
    assert commitment.position == 1
    pacts.commitment_update(commitment=commitment, actor=social_worker, quantity=Decimal(2))
    assert set(history(commitment, "update").get().changes) == {"quantity"}
    with pytest.raises(ValidationError):
        pacts.commitment_update(
            commitment=commitment, actor=social_worker, kind=CommitmentKind.ECONOMIC
        )
    pk = commitment.pk
    pacts.commitment_remove(commitment=commitment, actor=social_worker)
    assert history(commitment, "delete", pk=pk).exists()


def test_signatories_are_added_and_removed_in_a_draft(draft, social_worker, partner):
    with pytest.raises(ValidationError) as twice:
        pacts.signatory_add(
            pact=draft, actor=social_worker, kind=SignatoryKind.ORGANISATION, organisation=partner
        )
    assert "organisation" in twice.value.message_dict
    with pytest.raises(ValidationError):
        pacts.signatory_add(pact=draft, actor=social_worker, kind=SignatoryKind.BENEFICIARY)
    with pytest.raises(ValidationError):
        pacts.signatory_add(pact=draft, actor=social_worker, kind=SignatoryKind.COMMUNITY)
    with pytest.raises(ValidationError):
        pacts.signatory_add(
            pact=draft,
            actor=social_worker,
            kind=SignatoryKind.ORGANISATION,
            organisation=OrganisationFactory(is_active=False),
        )
    community = pacts.signatory_add(
        pact=draft, actor=social_worker, kind=SignatoryKind.COMMUNITY, name=" Pro Loco "
    )
    assert (community.name, community.label) == ("Pro Loco", "Pro Loco")
    assert history(community, "create").exists()
    pk = community.pk
    pacts.signatory_remove(signatory=community, actor=social_worker)
    assert history(community, "delete", pk=pk).exists()
    with pytest.raises(ValidationError):
        pacts.signatory_remove(
            signatory=draft.signatories.get(kind=SignatoryKind.BENEFICIARY), actor=social_worker
        )


# --- Signing -------------------------------------------------------------------------------


@pytest.fixture
def proposed(social_worker, partner_user):
    return pact_in(S.PROPOSED, worker=social_worker, partner_signer=partner_user)


def _signatory(pact, kind):
    return pact.signatories.get(kind=kind)


def test_partner_staff_sign_for_their_organisation(proposed, partner_user):
    signatory = _signatory(proposed, SignatoryKind.ORGANISATION)
    assert pacts.can_sign(partner_user, signatory)

    pacts.pact_sign(pact=proposed, signatory=signatory, signer=partner_user)

    signatory.refresh_from_db()
    assert (signatory.signed_by, signatory.on_paper) == (partner_user, False)
    assert history(signatory, "sign").get().actor == partner_user


def test_staff_of_another_organisation_cannot_sign_for_it(proposed):
    other = MembershipFactory(role=Role.PARTNER_STAFF).user
    signatory = _signatory(proposed, SignatoryKind.ORGANISATION)
    assert not pacts.can_sign(other, signatory)
    with pytest.raises(PermissionDenied):
        pacts.pact_sign(pact=proposed, signatory=signatory, signer=other)
    signatory.refresh_from_db()
    assert signatory.signed_at is None


def test_the_case_worker_signs_only_for_themselves(proposed, social_worker, make_user):
    colleague = make_user(role=Role.OPERATOR)
    CaseAssignmentFactory(case=proposed.case, worker=colleague)
    signatory = _signatory(proposed, SignatoryKind.CASE_WORKER)
    with pytest.raises(PermissionDenied):
        pacts.pact_sign(pact=proposed, signatory=signatory, signer=colleague)
    pacts.pact_sign(pact=proposed, signatory=signatory, signer=social_worker)
    signatory.refresh_from_db()
    assert signatory.signed_by == social_worker


def test_the_persons_paper_signature_is_recorded_by_a_worker(proposed, social_worker, partner_user):
    signatory = _signatory(proposed, SignatoryKind.BENEFICIARY)
    with pytest.raises(PermissionDenied):
        pacts.pact_sign(pact=proposed, signatory=signatory, signer=partner_user)
    at = timezone.now() - dt.timedelta(hours=2)
    pacts.pact_sign(pact=proposed, signatory=signatory, signer=social_worker, at=at)
    signatory.refresh_from_db()
    assert (signatory.signed_at, signatory.signed_by, signatory.on_paper) == (
        at,
        social_worker,
        True,
    )


def test_a_signature_is_given_once(proposed, social_worker):
    signatory = _signatory(proposed, SignatoryKind.BENEFICIARY)
    pacts.pact_sign(pact=proposed, signatory=signatory, signer=social_worker)
    with pytest.raises(ValidationError) as twice:
        pacts.pact_sign(pact=proposed, signatory=signatory, signer=social_worker)
    assert twice.value.code == "signed"
    assert history(signatory, "sign").count() == 1


def test_only_a_proposed_pact_is_signed(draft, social_worker, partner_user):
    signatory = _signatory(draft, SignatoryKind.CASE_WORKER)
    with pytest.raises(ValidationError) as refused:
        pacts.pact_sign(pact=draft, signatory=signatory, signer=social_worker)
    assert refused.value.code == "invalid_transition"
    other = pact_in(S.PROPOSED, worker=social_worker, partner_signer=partner_user)
    with pytest.raises(ValueError):
        pacts.pact_sign(pact=other, signatory=signatory, signer=social_worker)


# --- Renewal -------------------------------------------------------------------------------


def _completed_with(pact, worker, outcomes):
    follow.review_start(pact=pact, actor=worker)
    goals = list(pact.goals.order_by("position"))
    follow.review_record(
        pact=pact,
        actor=worker,
        outcomes={g.pk: (o, "") for g, o in zip(goals, outcomes, strict=True)},
        final=True,
    )
    pact.refresh_from_db()
    return pact


def test_a_renewal_carries_over_what_is_not_achieved(social_worker, partner_user, partner):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    pact = _completed_with(pact, social_worker, ["achieved", "partly"])

    renewal = pacts.pact_renew(pact=pact, actor=social_worker)

    assert (renewal.status, renewal.renewal_of, renewal.case) == (S.DRAFT, pact, pact.case)
    assert list(renewal.goals.values_list("description", flat=True)) == ["Obiettivo 2"]
    assert renewal.commitments.count() == pact.commitments.count()
    signatories = renewal.signatories.all()
    assert {s.kind for s in signatories} == {"beneficiary", "case_worker", "organisation"}
    assert not any(s.signed_at for s in signatories)
    assert signatories.get(kind="organisation").organisation == partner
    assert history(pact, "renew").exists()
    for goal in renewal.goals.all():
        assert history(goal, "create").exists()

    with pytest.raises(ValidationError) as twice:
        pacts.pact_renew(pact=pact, actor=social_worker)
    assert twice.value.code == "renewed"
    assert Pact.objects.filter(renewal_of=pact).count() == 1


@pytest.mark.parametrize("status", [S.DRAFT, S.ACTIVE, S.INTERRUPTED])
def test_only_a_completed_pact_is_renewed(status, social_worker, partner_user):
    pact = pact_in(status, worker=social_worker, partner_signer=partner_user)
    with pytest.raises(ValidationError):
        pacts.pact_renew(pact=pact, actor=social_worker)


# --- The scan of the signed copy ---------------------------------------------------------


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def test_the_signed_copy_is_attached_to_a_signed_pact(social_worker, partner_user):
    pact = pact_in(S.SIGNED, worker=social_worker, partner_signer=partner_user)
    upload = SimpleUploadedFile("patto.pdf", PDF, content_type="application/pdf")

    pact = pacts.pact_attach_scan(pact=pact, actor=social_worker, file=upload)

    assert pact.scan.name.startswith("pacts/scans/")
    assert pact.scan.storage.exists(pact.scan.name)
    with pact.scan.open("rb") as stored:
        assert stored.read() == PDF
    assert history(pact, "update").get().changes["scan"][0] is None


@pytest.mark.parametrize(
    "content", [b"\x89PNG\r\n\x1a\n" + b"0" * 20, b"\xff\xd8\xff\xe0" + b"0" * 20]
)
def test_png_and_jpeg_scans_are_accepted(content, social_worker, partner_user):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    pacts.pact_attach_scan(
        pact=pact, actor=social_worker, file=SimpleUploadedFile("scan.bin", content)
    )


def test_a_scan_is_a_pdf_or_an_image_of_at_most_10_mb(social_worker, partner_user):
    pact = pact_in(S.SIGNED, worker=social_worker, partner_signer=partner_user)
    for upload in (
        SimpleUploadedFile("patto.pdf", b"<html>not a pdf</html>"),
        SimpleUploadedFile("patto.pdf", b"MZ\x90\x00" + b"0" * 100),
        SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * SCAN_MAX_BYTES),
    ):
        with pytest.raises(ValidationError) as refused:
            pacts.pact_attach_scan(pact=pact, actor=social_worker, file=upload)
        assert "scan" in refused.value.message_dict
    pact.refresh_from_db()
    assert not pact.scan


@pytest.mark.parametrize("status", [S.DRAFT, S.PROPOSED])
def test_no_scan_before_the_pact_is_signed(status, social_worker, partner_user):
    pact = pact_in(status, worker=social_worker, partner_signer=partner_user)
    with pytest.raises(ValidationError) as refused:
        pacts.pact_attach_scan(
            pact=pact, actor=social_worker, file=SimpleUploadedFile("patto.pdf", PDF)
        )
    assert refused.value.message_dict == {"scan": ["Attach the scan once the pact is signed."]}


def test_only_the_case_workers_attach_a_scan(social_worker, partner_user):
    pact = pact_in(S.SIGNED, worker=social_worker, partner_signer=partner_user)
    with pytest.raises(PermissionDenied):
        pacts.pact_attach_scan(
            pact=pact, actor=partner_user, file=SimpleUploadedFile("patto.pdf", PDF)
        )


# --- Work placements ---------------------------------------------------------------------


def _placement(**values):
    return {
        "host_name": "Falegnameria Bassi di Soresina",
        "tutor": "Giuseppe Bassi",
        "role": "Aiuto falegname",
        "start_date": today() - dt.timedelta(days=20),
        "end_date": today() + dt.timedelta(days=70),
        "hours_per_week": Decimal(20),
        **values,
    }


def test_a_placement_is_linked_to_a_running_pact(social_worker, partner_user):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    placement = follow.placement_add(
        pact=pact, actor=social_worker, **_placement(outcome_date=today())
    )
    assert (placement.outcome, placement.outcome_date) == (PlacementOutcome.ONGOING, None)
    assert placement.host_label == "Falegnameria Bassi di Soresina"
    assert history(placement, "create").exists()

    placement = follow.placement_update(
        placement=placement,
        actor=social_worker,
        outcome=PlacementOutcome.HIRED,
        outcome_date=today(),
    )
    assert (placement.outcome, placement.outcome_date) == (PlacementOutcome.HIRED, today())
    assert history(placement, "update").get().changes["outcome"] == ["ongoing", "hired"]
    placement = follow.placement_update(
        placement=placement, actor=social_worker, outcome=PlacementOutcome.ONGOING
    )
    assert placement.outcome_date is None


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"host_name": ""}, "host_name"),
        ({"tutor": " "}, "tutor"),
        ({"end_date": today() - dt.timedelta(days=30)}, "end_date"),
        ({"hours_per_week": Decimal(0)}, "hours_per_week"),
        ({"hours_per_week": Decimal(49)}, "hours_per_week"),
        ({"outcome": PlacementOutcome.ENDED}, "outcome_date"),
        (
            {"outcome": PlacementOutcome.ENDED, "outcome_date": today() + dt.timedelta(days=1)},
            "outcome_date",
        ),
        ({"outcome": "fired"}, "outcome"),
    ],
)
def test_a_placement_is_checked(values, field, social_worker, partner_user):
    pact = pact_in(S.SIGNED, worker=social_worker, partner_signer=partner_user)
    with pytest.raises(ValidationError) as refused:
        follow.placement_add(pact=pact, actor=social_worker, **_placement(**values))
    assert field in refused.value.message_dict
    assert not Placement.objects.exists()


def test_a_placement_at_a_network_organisation_needs_no_host_name(
    social_worker, partner_user, partner
):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    placement = follow.placement_add(
        pact=pact, actor=social_worker, **_placement(host_name="", host_organisation=partner)
    )
    assert placement.host_label == partner.name


@pytest.mark.parametrize("status", [S.COMPLETED, S.INTERRUPTED])
def test_no_placement_is_added_to_a_pact_that_is_over(status, social_worker, partner_user):
    pact = pact_in(status, worker=social_worker, partner_signer=partner_user)
    with pytest.raises(ValidationError):
        follow.placement_add(pact=pact, actor=social_worker, **_placement())


def test_a_review_is_checked(social_worker, partner_user):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    goal, *_ = pact.goals.all()
    with pytest.raises(ValidationError) as refused:
        follow.review_record(
            pact=pact,
            actor=social_worker,
            outcomes={goal.pk: ("maybe", "")},
            date=today() + dt.timedelta(days=1),
        )
    assert {"date", "next_review_on", "outcomes"} <= set(refused.value.message_dict)
    pact.refresh_from_db()
    assert pact.status == S.ACTIVE
    assert not Signatory.objects.filter(pact=pact, signed_at__isnull=True).exists()
