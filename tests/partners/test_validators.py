"""The tax code of an organisation: an 11-digit partita IVA / codice fiscale of an entity
with its check digit, or a 16-character personal codice fiscale (omocodes included)."""

from __future__ import annotations

import pytest
from codicefiscale import codicefiscale
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from partners.validators import (
    normalize_tax_code,
    partita_iva_check_digit,
    validate_organisation_slug,
    validate_tax_code,
)
from tests.partners.factories import OrganisationFactory

# Numbers of well-known public bodies, with the check digit worked out by hand:
#
# 00297960197, Comune di Cremona. Odd positions 0+2+7+6+1 = 16; even positions 0,9,9,0,9
# doubled 0,18,18,0,18, less 9 where over 9: 0+9+9+0+9 = 27; 16+27 = 43; (10 - 3) % 10 = 7.
# 06363391001, Agenzia delle Entrate. Odd 0+3+3+9+0 = 15; even 6,6,3,1,0 doubled
# 12,12,6,2,0 → 3+3+6+2+0 = 14; 15+14 = 29; (10 - 9) % 10 = 1.
COMUNE_DI_CREMONA = "00297960197"
AGENZIA_ENTRATE = "06363391001"

# A personal codice fiscale (Mario Rossi, born in Cremona on 1 January 1980) and one of
# its omocodes (the last digit of the place code replaced by a letter, new check letter).
MARIO_ROSSI = "RSSMRA80A01D150J"
MARIO_ROSSI_OMOCODE = "RSSMRA80A01D15LM"


def luhn_valid(number: str) -> bool:
    """An independent check: the partita IVA's check digit is the Luhn algorithm's."""
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return total % 10 == 0


@pytest.mark.parametrize("number", [COMUNE_DI_CREMONA, AGENZIA_ENTRATE])
def test_real_partite_iva_are_accepted(number):
    """The partita IVA of a comune and of the revenue agency pass, and the hand-computed
    check digits agree with the Luhn algorithm."""
    assert luhn_valid(number)
    assert partita_iva_check_digit(number[:10]) == int(number[10])
    validate_tax_code(number)


@pytest.mark.parametrize("code", [MARIO_ROSSI, MARIO_ROSSI_OMOCODE, MARIO_ROSSI.lower()])
def test_personal_codici_fiscali_are_accepted_omocodes_included(code):
    """A sole trader's personal codice fiscale is accepted, in either case, and so is an
    omocode."""
    assert MARIO_ROSSI_OMOCODE in codicefiscale.decode(MARIO_ROSSI)["omocodes"]
    validate_tax_code(code)


@pytest.mark.parametrize(
    "value",
    [
        "00297960196",  # Comune di Cremona with the wrong check digit
        "06363391000",  # Agenzia delle Entrate with the wrong check digit
        "00000000000",  # passes the check digit, but no taxpayer is number zero
        "0029796019",  # ten digits
        "002979601970",  # twelve digits
        "0029796019A",  # a letter among the digits
        "RSSMRA80A01D150K",  # wrong check letter
        "RSSMRA80A01D150",  # fifteen characters
        "RSS-MRA80A01D150J",  # a separator inside a 16-character code
        "IT00297960197",  # the EU VAT form: normalised away before validation, not accepted as is
    ],
)
def test_malformed_codes_are_refused(value):
    with pytest.raises(ValidationError) as caught:
        validate_tax_code(value)
    assert caught.value.code == "invalid_tax_code"


def test_an_empty_tax_code_is_allowed():
    """Not every member of the network has given its tax code."""
    validate_tax_code("")


def test_the_error_is_translated_and_names_the_value():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        validate_tax_code("00297960196")
    message = caught.value.messages[0]
    assert "00297960196" in message
    assert "partita IVA" in message


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_the_check_digit_is_the_luhn_digit(first_ten):
    """For any ten digits, exactly one eleventh digit is accepted: the Luhn one."""
    accepted = [d for d in "0123456789" if _accepted(first_ten + d)]
    if first_ten[:7] == "0000000":
        assert accepted == []
    else:
        assert accepted == [d for d in "0123456789" if luhn_valid(first_ten + d)]
        assert len(accepted) == 1


def _accepted(value: str) -> bool:
    try:
        validate_tax_code(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (" 00297960197 ", COMUNE_DI_CREMONA),
        ("IT00297960197", COMUNE_DI_CREMONA),
        ("it 002 979 601 97", COMUNE_DI_CREMONA),
        ("rssmra80a01d150j", MARIO_ROSSI),
        ("RSS MRA 80A01 D150J", MARIO_ROSSI),
        ("", ""),
    ],
)
def test_codes_are_normalised_before_validation(raw, stored):
    assert normalize_tax_code(raw) == stored


def test_page_addresses_cannot_be_organisation_slugs():
    with pytest.raises(ValidationError):
        validate_organisation_slug("new")
    validate_organisation_slug("comune-di-cremona")


@pytest.mark.django_db
def test_the_database_refuses_two_organisations_with_one_tax_code():
    """Uniqueness holds in the database, not only in forms; empty codes may repeat."""
    OrganisationFactory(tax_code=COMUNE_DI_CREMONA)
    OrganisationFactory(tax_code="")
    OrganisationFactory(tax_code="")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(tax_code=COMUNE_DI_CREMONA)


@pytest.mark.django_db
@pytest.mark.parametrize("stored", ["rssmra80a01d150j", "0029796019", "0029796019 7"])
def test_the_database_refuses_codes_not_in_stored_form(stored):
    """Lower case, or a length other than 11 or 16, cannot reach the table."""
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(tax_code=stored)
