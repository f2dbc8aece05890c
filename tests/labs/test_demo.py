"""The labs' demo step: a lab in each ambito with meetings past and ahead, sign-ups with a
waiting list, needs with supporters and an intervention — made through the services and
seeded idempotently by ``manage.py seed_demo``."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from labs.models import (
    Intervention,
    Lab,
    LabContext,
    LabStatus,
    Meeting,
    MeetingStatus,
    Need,
    NeedVote,
    Registration,
    RegistrationStatus,
)
from legami.models import Ambito

pytestmark = pytest.mark.django_db

MODELS = (Lab, Meeting, Registration, Need, NeedVote, Intervention)


def seed() -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def test_every_ambito_has_a_running_lab_with_its_history_and_what_is_ahead():
    output = seed()
    assert "community labs: 3 created" in output
    now = timezone.now()
    assert set(Lab.objects.values_list("ambito", flat=True)) == set(
        Ambito.objects.values_list("pk", flat=True)
    )
    # The community labs (a research pathway's workshop lab is the research step's).
    for lab in Lab.objects.exclude(context=LabContext.PRACTITIONERS):
        assert lab.status == LabStatus.ACTIVE
        closed = lab.meetings.get(status=MeetingStatus.CLOSED)
        assert closed.ends_at < now and closed.summary
        assert closed.registrations.filter(attended=True).exists()
        assert closed.registrations.filter(attended=False).exists()
        ahead = lab.meetings.filter(status=MeetingStatus.SCHEDULED, starts_at__gt=now)
        assert ahead.count() == 2
        full = ahead.get(capacity=4)
        # The seats counted are the confirmed registrations, and someone is waiting.
        confirmed = full.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
        assert full.seats_taken == confirmed == 4
        assert full.registrations.filter(status=RegistrationStatus.WAITING).exists()
        assert full.registrations.filter(promoted_at__isnull=False).count() == 1
        assert lab.needs.filter(votes_count__gt=0).exists()
        assert all(n.votes_count == n.votes.count() for n in lab.needs.all())
        assert lab.interventions.get().needs.exists()


def test_seeding_twice_adds_nothing():
    seed()
    before = _counts()
    output = seed()
    assert _counts() == before
    assert "community labs: 0 created, 3 unchanged" in output
