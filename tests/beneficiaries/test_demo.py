"""The beneficiaries demo step: believable, fictitious case files, seeded idempotently."""

from __future__ import annotations

import pytest
from codicefiscale import codicefiscale

from beneficiaries.models import (
    Assessment,
    Case,
    CaseAssignment,
    Consent,
    DiaryNote,
    EcomapSnapshot,
    Person,
    Tie,
)
from legami.demo import demo_seed
from legami.models import User
from legami.policy import visible_to

MODELS = (Person, Case, CaseAssignment, Tie, EcomapSnapshot, Assessment, DiaryNote, Consent)


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


@pytest.fixture
def seeded(db):
    demo_seed(password="demo-password-for-tests", totp_secret="LEGAMIDEMOCREMONACASALMAGGIORE22")


def test_seeding_twice_leaves_the_same_database(seeded):
    first = _counts()
    demo_seed(password="demo-password-for-tests", totp_secret="LEGAMIDEMOCREMONACASALMAGGIORE22")
    assert _counts() == first
    assert 8 <= first["Person"] <= 12


def test_every_demo_person_has_a_full_file(seeded):
    for person in Person.objects.all():
        assert codicefiscale.is_valid(person.codice_fiscale)
        assert 4 <= person.ties.count() <= 8
        assert 2 <= person.ecomap_snapshots.count() <= 3
        assert person.assessments.filter(kind="lsns6").count() >= 3
        assert person.assessments.filter(kind="ucla3").count() >= 3
        case = person.cases.get()
        assert case.ambito in case.organisation.ambiti.all()
        assert case.assignments.filter(end=None).exists()
        assert case.notes.exists()
        assert person.consents.exists()


def test_isolation_trends_go_both_ways(seeded):
    trends = set()
    for person in Person.objects.all():
        totals = list(
            person.assessments.filter(kind="lsns6").order_by("date").values_list("total", flat=True)
        )
        trends.add((totals[-1] > totals[0]) - (totals[-1] < totals[0]))
    assert {1, -1} <= trends


def test_the_demo_operator_sees_their_persons(seeded):
    operator = User.objects.get(email="operatore@demo.legami.it")
    visible = visible_to(operator, Person)
    assert visible.exists()
    assert set(visible) == set(
        Person.objects.filter(cases__assignments__worker=operator, cases__assignments__end=None)
    )
    assert visible.count() < Person.objects.count()
