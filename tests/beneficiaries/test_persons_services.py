"""Registering and changing a person: codice fiscale rules, duplicates, household and
the restriction flag."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from beneficiaries.models import HouseholdRelation, NoCodiceFiscaleReason, Person, Sex
from beneficiaries.services.persons import (
    household_member_add,
    household_member_remove,
    person_create,
    person_possible_duplicates,
    person_restrict,
    person_unrestrict,
    person_update,
)
from legami.models import ChangeEvent
from tests.beneficiaries.factories import PersonFactory, assign
from tests.legami.factories import AmbitoFactory, ComuneFactory

pytestmark = pytest.mark.django_db

MARIA_CF = "RSSMRA50B41D150G"  # Rossi Maria, F, 1 Feb 1950, Cremona (D150)
MARIA_OMOCODE = "RSSMRA50B41D15LJ"
ROMANIA_CF = "RSSNAA80B01Z129P"  # Rossi Ana, M, 1 Feb 1980, born in Romania


@pytest.fixture
def cremona():
    return ComuneFactory(belfiore_code="D150", name="Cremona")


def _create(actor, **data):
    base = {"first_name": "Maria", "last_name": "Rossi"}
    return person_create(actor=actor, data={**base, **data})


def test_a_valid_codice_fiscale_fills_birth_date_sex_and_comune(social_worker, cremona):
    person = _create(social_worker, codice_fiscale=MARIA_CF.lower())
    assert person.codice_fiscale == MARIA_CF
    assert person.birth_date == dt.date(1950, 2, 1)
    assert person.sex == Sex.FEMALE
    assert person.birth_comune == cremona
    assert ChangeEvent.objects.filter(
        target_type="beneficiaries.person", target_id=str(person.pk), action="create"
    ).exists()


def test_an_omocode_is_accepted(social_worker, cremona):
    person = _create(social_worker, codice_fiscale=MARIA_OMOCODE)
    assert person.birth_date == dt.date(1950, 2, 1)
    assert person.birth_comune == cremona


def test_a_foreign_birth_gives_the_country(social_worker):
    person = _create(social_worker, first_name="Ana", codice_fiscale=ROMANIA_CF)
    assert person.birth_comune is None
    assert person.birth_country == "Romania"
    assert person.sex == Sex.MALE


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"birth_date": dt.date(1950, 2, 2)}, "birth_date"),
        ({"sex": Sex.MALE}, "sex"),
    ],
)
def test_a_typed_value_that_contradicts_the_code_is_refused(social_worker, cremona, typed, field):
    with pytest.raises(ValidationError) as exc:
        _create(social_worker, codice_fiscale=MARIA_CF, **typed)
    assert field in exc.value.error_dict
    assert not Person.objects.exists()


def test_a_typed_comune_that_contradicts_the_code_is_refused(social_worker, cremona):
    elsewhere = ComuneFactory(belfiore_code="C123", name="Crema")
    with pytest.raises(ValidationError) as exc:
        _create(social_worker, codice_fiscale=MARIA_CF, birth_comune=elsewhere)
    assert "birth_comune" in exc.value.error_dict


def test_a_wrong_check_character_is_refused(social_worker):
    with pytest.raises(ValidationError) as exc:
        _create(social_worker, codice_fiscale="RSSMRA50B41D150A")
    assert "codice_fiscale" in exc.value.error_dict
    assert not Person.objects.exists()


def test_without_a_codice_fiscale_a_reason_is_required(social_worker):
    with pytest.raises(ValidationError) as exc:
        _create(social_worker, birth_date=dt.date(1970, 1, 1))
    assert "no_codice_fiscale_reason" in exc.value.error_dict
    person = _create(
        social_worker,
        birth_date=dt.date(1970, 1, 1),
        no_codice_fiscale_reason=NoCodiceFiscaleReason.NEWLY_ARRIVED,
    )
    assert person.codice_fiscale == ""


def test_the_same_codice_fiscale_is_a_duplicate_and_cannot_be_forced(social_worker, cremona):
    PersonFactory(codice_fiscale=MARIA_CF, no_codice_fiscale_reason="", first_name="X")
    assert len(person_possible_duplicates(data={"codice_fiscale": MARIA_CF})) == 1
    with pytest.raises(ValidationError):
        person_create(
            actor=social_worker,
            data={"first_name": "Maria", "last_name": "Rossi", "codice_fiscale": MARIA_CF},
            force=True,
        )
    assert Person.objects.count() == 1


def test_a_similar_name_with_the_same_birth_date_is_a_possible_duplicate(social_worker):
    existing = PersonFactory(
        first_name="Nicolò", last_name="D'Angelo", birth_date=dt.date(1960, 5, 5)
    )
    PersonFactory(first_name="Nicolò", last_name="D'Angelo", birth_date=dt.date(1961, 5, 5))
    swapped = {"first_name": "dangelo", "last_name": "NICOLO", "birth_date": dt.date(1960, 5, 5)}
    assert person_possible_duplicates(data=swapped) == [existing]
    different = {"first_name": "Giulia", "last_name": "Bianchi", "birth_date": dt.date(1960, 5, 5)}
    assert person_possible_duplicates(data=different) == []


def test_a_possible_duplicate_stops_registration_unless_forced(social_worker):
    PersonFactory(first_name="Maria", last_name="Rossi", birth_date=dt.date(1950, 2, 1))
    data = {
        "first_name": "Maria",
        "last_name": "Rossi",
        "birth_date": dt.date(1950, 2, 1),
        "no_codice_fiscale_reason": NoCodiceFiscaleReason.NOT_KNOWN,
    }
    with pytest.raises(ValidationError):
        person_create(actor=social_worker, data=data)
    assert Person.objects.count() == 1
    person_create(actor=social_worker, data=data, force=True)
    assert Person.objects.count() == 2


def test_registering_with_a_service_opens_a_case_assigned_to_the_worker(social_worker):
    organisation = social_worker.memberships.get().organisation
    person = person_create(
        actor=social_worker,
        data={"first_name": "Anna", "last_name": "Verdi", "no_codice_fiscale_reason": "not_known"},
        areas=["anziani"],
        organisation=organisation,
        ambito=AmbitoFactory(),
    )
    case = person.cases.get()
    assert case.assignments.get().worker == social_worker
    assert list(person.areas.values_list("area", flat=True)) == ["anziani"]


def test_only_case_workers_register_people(citizen, make_user):
    researcher = make_user("r@example.org", role="researcher")
    for actor in (citizen, researcher):
        with pytest.raises(PermissionDenied):
            _create(actor, no_codice_fiscale_reason="not_known")


def test_update_checks_the_code_and_records_the_diff(social_worker, cremona):
    case = assign(social_worker)
    person = case.person
    with pytest.raises(ValidationError):
        person_update(
            actor=social_worker,
            person=person,
            data={
                "first_name": "Maria",
                "last_name": "Rossi",
                "codice_fiscale": MARIA_CF,
                "sex": Sex.MALE,
            },
        )
    person_update(
        actor=social_worker,
        person=person,
        data={"first_name": "Maria", "last_name": "Rossi", "codice_fiscale": MARIA_CF},
    )
    person.refresh_from_db()
    assert person.codice_fiscale == MARIA_CF
    event = ChangeEvent.objects.get(target_id=str(person.pk), action="update")
    assert event.changes["codice_fiscale"] == ["", MARIA_CF]


def test_an_unassigned_worker_cannot_change_a_person(social_worker, make_user):
    other = make_user("other@example.org", role="operator")
    case = assign(other)
    with pytest.raises(PermissionDenied):
        person_update(actor=social_worker, person=case.person, data={"first_name": "X"})


def test_household_members_are_added_and_removed(social_worker):
    person = assign(social_worker).person
    member = household_member_add(
        actor=social_worker, person=person, relation=HouseholdRelation.CHILD, first_name="Luca"
    )
    assert person.household.count() == 1
    with pytest.raises(ValidationError):
        household_member_add(actor=social_worker, person=person, relation="child")
    household_member_remove(actor=social_worker, household_member=member)
    assert person.household.count() == 0
    assert ChangeEvent.objects.filter(target_type="beneficiaries.householdmember").count() == 2


def test_restriction_is_turned_on_and_off_and_audited(social_worker):
    person = assign(social_worker).person
    person_restrict(actor=social_worker, person=person, reason="richiesta dell'interessato")
    person.refresh_from_db()
    assert person.restricted
    person_unrestrict(actor=social_worker, person=person)
    person.refresh_from_db()
    assert not person.restricted
    assert ChangeEvent.objects.filter(target_id=str(person.pk), action="state").count() == 2


def test_a_restricted_file_is_kept_not_worked_on(social_worker):
    from beneficiaries.services.cases import case_close, consent_give, diary_note_add

    case = assign(social_worker)
    person = case.person
    consent = consent_give(person=person, kind="share_partners", actor=social_worker)
    person_restrict(actor=social_worker, person=person)
    case.person.refresh_from_db()
    for attempt in (
        lambda: person_update(actor=social_worker, person=person, data={"first_name": "X"}),
        lambda: household_member_add(
            actor=social_worker, person=person, relation="child", first_name="Luca"
        ),
        lambda: diary_note_add(case=case, category="note", text="x", actor=social_worker),
    ):
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert exc.value.code == "restricted"
    assert not case.notes.exists() and not person.household.exists()
    # Withdrawing consent and closing stay possible.
    from beneficiaries.services.cases import consent_withdraw

    consent_withdraw(consent=consent, actor=social_worker)
    case_close(case=case, reason="withdrew", actor=social_worker)
