"""Italian fiscal codes of donors: the codice fiscale of a person (checked with
python-codicefiscale, omocodia included) or of a body (11 digits), and the partita IVA
(11 digits with its check digit). Each returns the code normalised (upper case, no
spaces) or raises a translated ValidationError."""

from __future__ import annotations

import re

from codicefiscale import codicefiscale
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SPACES = re.compile(r"[\s.\-]+")


def _normalise(value: str | None) -> str:
    return _SPACES.sub("", value or "").upper()


def italian_check_digit(digits: str) -> int:
    """The check digit of the first ten digits of a partita IVA (or of a body's
    numeric codice fiscale): odd positions as they are, even positions doubled (minus
    9 when over 9), and the digit that brings the sum to a multiple of ten."""
    total = 0
    for index, char in enumerate(digits[:10]):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def _valid_numeric(code: str) -> bool:
    return (
        len(code) == 11
        and code.isdigit()
        and code != "00000000000"
        and italian_check_digit(code) == int(code[10])
    )


def validate_partita_iva(value: str | None) -> str:
    """``value`` as 11 digits, or ValidationError when it is not a valid partita IVA."""
    code = _normalise(value)
    if code.startswith("IT") and len(code) == 13:
        code = code[2:]
    if not _valid_numeric(code):
        raise ValidationError(
            _("%(value)s is not a valid partita IVA (11 digits with a correct check digit)."),
            code="invalid_partita_iva",
            params={"value": value},
        )
    return code


def validate_codice_fiscale(value: str | None) -> str:
    """``value`` in upper case without spaces, or ValidationError: a person's code of 16
    characters (omocodia included), or a body's numeric code of 11 digits."""
    code = _normalise(value)
    if len(code) == 16 and codicefiscale.is_valid(code):
        return code
    if len(code) == 11 and _valid_numeric(code):
        return code
    raise ValidationError(
        _("%(value)s is not a valid codice fiscale."),
        code="invalid_codice_fiscale",
        params={"value": value},
    )
