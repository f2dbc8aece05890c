"""Donors: fiscal codes, one donor per code, consent history and the contactable list."""

from __future__ import annotations

import datetime as dt

import pytest
from codicefiscale import codicefiscale
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fundraising.models import ConsentChange, Donor, DonorKind
from fundraising.services.donors import (
    consent_in_force,
    consent_set,
    donor_create,
    donor_update,
    donors_contactable,
)
from fundraising.validators import validate_codice_fiscale, validate_partita_iva
from tests.fundraising.factories import DonationFactory, DonorFactory, collector, fundraiser

pytestmark = pytest.mark.django_db

CF = "RSSMRA85T10A562S"
CF_OMOCODE = "RSSMRA85T10A56NH"  # the same person's code with omocodia
PIVA = "01114601006"


def test_real_codes_are_valid_for_the_library():
    assert codicefiscale.is_valid(CF)
    assert codicefiscale.is_valid(CF_OMOCODE)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (CF, CF),
        ("rssmra 85t10 a562s", CF),
        (CF_OMOCODE.lower(), CF_OMOCODE),
        (PIVA, PIVA),  # a body's numeric codice fiscale
    ],
)
def test_valid_codice_fiscale_is_normalised(raw, clean):
    assert validate_codice_fiscale(raw) == clean


@pytest.mark.parametrize(
    "raw", ["RSSMRA85T10A562T", "RSSMRA85T10A562", "XXXXXXXXXXXXXXXX", "01114601007", ""]
)
def test_invalid_codice_fiscale_is_refused_with_a_translated_message(raw):
    with pytest.raises(ValidationError) as error:
        validate_codice_fiscale(raw)
    assert "is not a valid codice fiscale" in error.value.messages[0]


@pytest.mark.parametrize(("raw", "clean"), [(PIVA, PIVA), ("IT 011 146 01006", PIVA)])
def test_valid_partita_iva(raw, clean):
    assert validate_partita_iva(raw) == clean


@pytest.mark.parametrize(
    "raw", ["01114601007", "0111460100", "0111460100A", "00000000000", "011146010066"]
)
def test_partita_iva_with_a_wrong_check_digit_or_length_is_refused(raw):
    with pytest.raises(ValidationError) as error:
        validate_partita_iva(raw)
    assert "is not a valid partita IVA" in error.value.messages[0]


def test_fundraiser_creates_a_donor_with_a_normalised_code_and_consent():
    org = collector()
    user = fundraiser(org)
    donor = donor_create(
        by=user,
        kind=DonorKind.PERSON,
        first_name="Mario",
        last_name="Rossi",
        codice_fiscale="rssmra85t10a562s",
        email="Mario@Example.org",
        consent=True,
        consent_organisation=org,
        source="paper form",
    )
    assert donor.codice_fiscale == CF
    assert donor.email == "mario@example.org"
    assert consent_in_force(donor, org)[0] is True


def test_invalid_code_is_refused_under_its_field():
    org = collector()
    with pytest.raises(ValidationError) as error:
        donor_create(
            by=fundraiser(org),
            kind=DonorKind.COMPANY,
            company_name="Acme srl",
            partita_iva="01114601007",
        )
    assert "partita_iva" in error.value.message_dict
    assert not Donor.objects.exists()


def test_a_company_needs_its_name():
    with pytest.raises(ValidationError) as error:
        donor_create(by=None, kind=DonorKind.COMPANY, partita_iva=PIVA)
    assert "company_name" in error.value.message_dict


def test_same_code_returns_the_existing_donor_and_a_fundraiser_fills_it():
    """One donor per code: a fundraiser entering the same codice fiscale updates the
    donor with the values given, without blanking the others."""
    org = collector()
    user = fundraiser(org)
    first = donor_create(by=user, kind=DonorKind.PERSON, last_name="Rossi", codice_fiscale=CF)
    again = donor_create(
        by=user, kind=DonorKind.PERSON, first_name="Mario", codice_fiscale=CF, city="Crema"
    )
    assert again.pk == first.pk
    again.refresh_from_db()
    assert (again.first_name, again.last_name, again.city) == ("Mario", "Rossi", "Crema")
    assert Donor.objects.count() == 1


def test_public_form_never_rewrites_an_existing_donor():
    """Typing somebody's codice fiscale into the public form gives back their donor,
    unchanged: no address, e-mail or consent is rewritten."""
    org = collector()
    donor = DonorFactory(codice_fiscale=CF, email="real@example.org")
    consent_set(donor=donor, organisation=org, given=True, source="form")
    found = donor_create(
        by=None,
        kind=DonorKind.PERSON,
        last_name="Other",
        codice_fiscale=CF,
        email="attacker@example.org",
        consent=False,
        consent_organisation=org,
        source="form",
    )
    assert found.pk == donor.pk
    donor.refresh_from_db()
    assert donor.email == "real@example.org"
    assert consent_in_force(donor, org)[0] is True


def test_codes_of_two_different_donors_are_refused():
    DonorFactory(codice_fiscale=CF)
    DonorFactory(kind=DonorKind.COMPANY, company_name="Acme", partita_iva=PIVA)
    with pytest.raises(ValidationError) as error:
        donor_create(
            by=None,
            kind=DonorKind.COMPANY,
            company_name="Acme",
            codice_fiscale=CF,
            partita_iva=PIVA,
        )
    assert "partita_iva" in error.value.message_dict


def test_update_refuses_a_code_another_donor_has():
    org = collector()
    user = fundraiser(org)
    DonorFactory(codice_fiscale=CF)
    other = DonorFactory()
    with pytest.raises(ValidationError) as error:
        donor_update(donor=other, by=user, codice_fiscale=CF)
    assert "codice_fiscale" in error.value.message_dict


def test_fundraiser_of_another_organisation_cannot_change_a_donor_who_gave_elsewhere():
    donation = DonationFactory()
    stranger = fundraiser(collector())
    with pytest.raises(PermissionDenied):
        donor_update(donor=donation.donor, by=stranger, city="Crema")
    own = fundraiser(donation.organisation)
    assert donor_update(donor=donation.donor, by=own, city="Crema").city == "Crema"


def test_a_citizen_cannot_create_donors_as_staff(make_user):
    with pytest.raises(PermissionDenied):
        donor_create(by=make_user(), kind=DonorKind.PERSON, last_name="Rossi")


def test_consent_history_given_withdrawn_given_again():
    """Each change is kept; repeating the consent in force adds nothing; the
    contactable list follows the latest change."""
    org = collector()
    other_org = collector()
    donor = DonorFactory()
    quiet = DonorFactory()
    start = timezone.now() - dt.timedelta(days=3)

    assert consent_in_force(donor, org) == (False, None)
    first = consent_set(donor=donor, organisation=org, given=True, source="form", at=start)
    assert first is not None
    assert consent_set(donor=donor, organisation=org, given=True, source="form") is None
    assert list(donors_contactable(org)) == [donor]
    assert list(donors_contactable(other_org)) == []

    consent_set(
        donor=donor,
        organisation=org,
        given=False,
        source="unsubscribe",
        at=start + dt.timedelta(days=1),
    )
    assert consent_in_force(donor, org)[0] is False
    assert list(donors_contactable(org)) == []

    again_at = start + dt.timedelta(days=2)
    consent_set(donor=donor, organisation=org, given=True, source="call", at=again_at)
    assert consent_in_force(donor, org) == (True, again_at)
    assert list(donors_contactable(org)) == [donor]
    assert [c.given for c in ConsentChange.objects.filter(donor=donor)] == [True, False, True]
    assert quiet not in donors_contactable(org)


def test_contactable_list_is_one_query(django_assert_num_queries):
    org = collector()
    for _ in range(5):
        consent_set(donor=DonorFactory(), organisation=org, given=True, source="form")
    with django_assert_num_queries(1):
        assert len(list(donors_contactable(org))) == 5


def test_consent_recorded_by_staff_of_another_organisation_is_refused():
    org = collector()
    with pytest.raises(PermissionDenied):
        consent_set(
            donor=DonorFactory(),
            organisation=org,
            given=True,
            source="call",
            by=fundraiser(collector()),
        )


def test_a_company_entered_by_fiscal_code_then_by_partita_iva_is_one_donor():
    """A body's numeric codice fiscale is usually its partita IVA: the same donor."""
    org = collector()
    user = fundraiser(org)
    first = donor_create(by=user, kind=DonorKind.COMPANY, company_name="Acme", codice_fiscale=PIVA)
    again = donor_create(by=user, kind=DonorKind.COMPANY, company_name="Acme", partita_iva=PIVA)
    assert again.pk == first.pk
    again.refresh_from_db()
    assert (again.codice_fiscale, again.partita_iva) == (PIVA, PIVA)
