"""Factories of the case file's models, and ``assign`` to put a worker on a person's case."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from beneficiaries.models import (
    Assessment,
    AssessmentKind,
    Case,
    CaseAssignment,
    CaseStage,
    Consent,
    ConsentKind,
    DiaryCategory,
    DiaryNote,
    HouseholdMember,
    HouseholdRelation,
    Intake,
    IntakeChannel,
    NeedTag,
    NoCodiceFiscaleReason,
    Person,
    PersonArea,
    Referral,
    Sex,
    VulnerabilityArea,
)
from legami.roles import Role
from tests.legami.factories import AmbitoFactory, UserFactory
from tests.partners.factories import OrganisationFactory


class NeedTagFactory(DjangoModelFactory):
    class Meta:
        model = NeedTag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"bisogno-{n}")


class PersonFactory(DjangoModelFactory):
    """A person without a codice fiscale (reason "not known"): factories never collide on
    the unique codice fiscale. Pass ``codice_fiscale=...`` for one."""

    class Meta:
        model = Person
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name", locale="it_IT")
    last_name = factory.Sequence(lambda n: f"Cognome{n}")
    codice_fiscale = ""
    no_codice_fiscale_reason = NoCodiceFiscaleReason.NOT_KNOWN
    birth_date = factory.Sequence(lambda n: dt.date(1940, 1, 1) + dt.timedelta(days=97 * n))
    sex = Sex.FEMALE


class PersonAreaFactory(DjangoModelFactory):
    class Meta:
        model = PersonArea

    person = factory.SubFactory(PersonFactory)
    area = VulnerabilityArea.ELDERLY


class HouseholdMemberFactory(DjangoModelFactory):
    class Meta:
        model = HouseholdMember

    person = factory.SubFactory(PersonFactory)
    relation = HouseholdRelation.CHILD
    first_name = factory.Faker("first_name", locale="it_IT")
    last_name = factory.Faker("last_name", locale="it_IT")
    birth_year = 1990


class IntakeFactory(DjangoModelFactory):
    class Meta:
        model = Intake

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    ambito = factory.SubFactory(AmbitoFactory)
    channel = IntakeChannel.SELF


class CaseFactory(DjangoModelFactory):
    class Meta:
        model = Case

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    ambito = factory.SubFactory(AmbitoFactory)
    opened_on = dt.date(2025, 1, 10)
    stage = CaseStage.ASSESSMENT


class CaseAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = CaseAssignment

    case = factory.SubFactory(CaseFactory)
    worker = factory.SubFactory(UserFactory)
    kind = CaseAssignment.Kind.LEAD
    start = dt.date(2025, 1, 10)


class DiaryNoteFactory(DjangoModelFactory):
    class Meta:
        model = DiaryNote

    case = factory.SubFactory(CaseFactory)
    category = DiaryCategory.INTERVIEW
    text = factory.Sequence(lambda n: f"Colloquio numero {n}.")
    confidential = False
    author = factory.SubFactory(UserFactory)


class ReferralFactory(DjangoModelFactory):
    class Meta:
        model = Referral

    case = factory.SubFactory(CaseFactory)
    to_organisation = factory.SubFactory(OrganisationFactory)
    reason = "Presa in carico congiunta."
    consent_given_on = dt.date(2025, 2, 1)
    requested_by = factory.SubFactory(UserFactory)


class ConsentFactory(DjangoModelFactory):
    class Meta:
        model = Consent

    person = factory.SubFactory(PersonFactory)
    kind = ConsentKind.SHARE_WITH_PARTNERS
    given_on = dt.date(2025, 1, 10)


class AssessmentFactory(DjangoModelFactory):
    """An LSNS-6 assessment of a person at risk of isolation (total 6 of 30)."""

    class Meta:
        model = Assessment

    person = factory.SubFactory(PersonFactory)
    kind = AssessmentKind.LSNS6
    answers = factory.LazyFunction(lambda: [1, 1, 1, 1, 1, 1])
    total = 6
    family_score = 3
    friends_score = 3
    at_risk = True


def assign(
    worker: Any,
    person: Person | None = None,
    *,
    ambito: Any = None,
    stage: str = CaseStage.ASSESSMENT,
    **case_fields: Any,
) -> Case:
    """Open a case of ``person`` (a new one if None) at the worker's organisation (their
    operator or coordinator membership, else a new organisation) in ``ambito`` (a new one
    if None) and assign the worker to it as case manager. Returns the case."""
    membership = (
        worker.memberships.filter(role__in=[Role.OPERATOR, Role.COORDINATOR])
        .select_related("organisation")
        .first()
    )
    organisation = membership.organisation if membership else OrganisationFactory()
    case = cast(
        Case,
        CaseFactory(
            person=person or PersonFactory(),
            organisation=organisation,
            ambito=ambito or AmbitoFactory(),
            stage=stage,
            **case_fields,
        ),
    )
    CaseAssignmentFactory(case=case, worker=worker)
    return case
