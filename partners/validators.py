"""Validators of the partners app: the Italian tax code of an organisation.

An organisation is identified for tax purposes either by an 11-digit number (the partita
IVA, which is also the codice fiscale of companies and public bodies) or, for a sole
trader or a body registered under a person's code, by a 16-character personal codice
fiscale. The 11-digit number ends with a check digit (the Luhn algorithm as the Agenzia
delle Entrate states it); the personal code is checked by python-codicefiscale, which
also accepts omocodes (the codes in which digits were replaced by letters to tell two
people apart).
"""

from __future__ import annotations

import re

from codicefiscale import codicefiscale
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_NUMERIC = re.compile(r"^\d{11}$")
_PERSONAL = re.compile(r"^[A-Z0-9]{16}$")
_SEPARATORS = re.compile(r"[\s.\-/]")

# Slugs that would collide with the pages under /partners/.
RESERVED_SLUGS = frozenset({"new", "invitations"})


def normalize_tax_code(value: str) -> str:
    """The form the tax code is stored in: capitals, no spaces, dots, dashes or slashes,
    and no "IT" prefix in front of a partita IVA (the form used for EU VAT numbers)."""
    code = _SEPARATORS.sub("", value or "").upper()
    if len(code) == 13 and code.startswith("IT") and code[2:].isdigit():
        code = code[2:]
    return code


def partita_iva_check_digit(first_ten: str) -> int:
    """The check digit of an 11-digit partita IVA / numeric codice fiscale.

    Digits in odd positions (1st, 3rd…) are added as they are; digits in even positions
    are doubled, subtracting 9 when the double exceeds 9; the check digit brings the sum
    to a multiple of ten.
    """
    if len(first_ten) != 10 or not first_ten.isdigit():
        raise ValueError("the first ten digits of a partita IVA are expected")
    total = 0
    for position, char in enumerate(first_ten, start=1):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def is_valid_partita_iva(value: str) -> bool:
    """Whether ``value`` is 11 digits with the right check digit (and not all zeros)."""
    if not _NUMERIC.match(value) or value[:7] == "0000000":
        return False
    return partita_iva_check_digit(value[:10]) == int(value[10])


def is_valid_personal_codice_fiscale(value: str) -> bool:
    """Whether ``value`` is a well-formed 16-character codice fiscale (omocodes included)."""
    code = value.upper()
    return bool(_PERSONAL.match(code)) and codicefiscale.is_valid(code)


def validate_tax_code(value: str) -> None:
    """Accept an empty value, an 11-digit partita IVA / codice fiscale of an entity, or a
    16-character personal codice fiscale; refuse anything else."""
    if not value:
        return
    if len(value) == 11 and is_valid_partita_iva(value):
        return
    if len(value) == 16 and is_valid_personal_codice_fiscale(value):
        return
    raise ValidationError(
        _(
            "“%(value)s” is not a valid codice fiscale or partita IVA: enter the 11 digits "
            "of the partita IVA or the 16 characters of the codice fiscale."
        ),
        code="invalid_tax_code",
        params={"value": value},
    )


def validate_organisation_slug(value: str) -> None:
    """Refuse the short names that are the addresses of other pages."""
    if value in RESERVED_SLUGS:
        raise ValidationError(
            _("“%(value)s” is reserved: choose another short name."),
            code="reserved_slug",
            params={"value": value},
        )
