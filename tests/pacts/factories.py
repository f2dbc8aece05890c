"""Pacts for tests, built through the services so that every pact is one the state
machine could reach: ``pact_in(status, worker=...)`` drafts a complete pact and moves it
to ``status``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from beneficiaries.models import Case
from pacts.models import CommitmentDirection, CommitmentKind, Pact, PactStatus, SignatoryKind
from pacts.services import follow, pacts
from partners.models import Organisation
from tests.beneficiaries.factories import assign
from tests.partners.factories import OrganisationFactory

S = PactStatus


def draft_pact(
    worker: Any,
    *,
    case: Case | None = None,
    partner: Organisation | None = None,
    goals: int = 2,
    title: str = "Patto di prova",
) -> Pact:
    """A complete draft for a case of ``worker``: ``goals`` goals (the first concerns the
    partner organisation), support from the partner, volunteering hours given back at
    it, and the partner asked to sign."""
    case = case or assign(worker)
    partner = partner or OrganisationFactory()
    pact = pacts.pact_create(
        case=case,
        actor=worker,
        title=title,
        context="Vive solo dopo la vedovanza.",
        strengths="Ex falegname, disponibile ad insegnare.",
        review_every_weeks=8,
    )
    target = timezone.localdate() + dt.timedelta(days=180)
    for n in range(goals):
        pacts.goal_add(
            pact=pact,
            actor=worker,
            description=f"Obiettivo {n + 1}",
            indicator=f"Indicatore {n + 1}",
            target_date=target,
            organisation=partner if n == 0 else None,
        )
    pacts.commitment_add(
        pact=pact,
        actor=worker,
        direction=CommitmentDirection.PROVIDES,
        kind=CommitmentKind.MENTORING,
        description="Tutoraggio settimanale",
        quantity=Decimal(2),
        unit="hours",
        period="week",
        organisation=partner,
    )
    pacts.commitment_add(
        pact=pact,
        actor=worker,
        direction=CommitmentDirection.GIVES_BACK,
        kind=CommitmentKind.VOLUNTEERING,
        description="Laboratorio di falegnameria per ragazzi",
        quantity=Decimal(3),
        unit="hours",
        period="month",
        organisation=partner,
    )
    pacts.signatory_add(
        pact=pact, actor=worker, kind=SignatoryKind.ORGANISATION, organisation=partner
    )
    pact.refresh_from_db()
    return pact


def sign_all(pact: Pact, worker: Any, partner_signer: Any) -> Pact:
    """Every signature of a proposed pact: the person's recorded by the worker, the
    worker's own, the partner's by ``partner_signer``."""
    for signatory in pact.signatories.all():
        signer = partner_signer if signatory.kind == SignatoryKind.ORGANISATION else worker
        pact = pacts.pact_sign(pact=pact, signatory=signatory, signer=signer)
    return pact


def pact_in(
    status: str, *, worker: Any, partner_signer: Any, partner: Organisation | None = None
) -> Pact:
    """A pact moved through the services to ``status``. ``partner_signer`` is partner
    staff of ``partner`` (the organisation their membership is at, if not given)."""
    if partner is None:
        partner = partner_signer.memberships.first().organisation
    pact = draft_pact(worker, partner=partner)
    if status == S.DRAFT:
        return pact
    pact = pacts.pact_propose(pact=pact, actor=worker)
    if status == S.PROPOSED:
        return pact
    if status == S.INTERRUPTED:
        return pacts.pact_interrupt(pact=pact, actor=worker, reason="La persona si è trasferita.")
    pact = sign_all(pact, worker, partner_signer)
    if status == S.SIGNED:
        return pact
    pact = pacts.pact_start(
        pact=pact, actor=worker, on=timezone.localdate() - dt.timedelta(days=30)
    )
    if status == S.ACTIVE:
        return pact
    pact = follow.review_start(pact=pact, actor=worker)
    if status == S.IN_REVIEW:
        return pact
    outcomes = {goal.pk: ("achieved", "") for goal in pact.goals.all()}
    follow.review_record(pact=pact, actor=worker, outcomes=outcomes, final=True)
    pact.refresh_from_db()
    assert pact.status == S.COMPLETED
    return pact
