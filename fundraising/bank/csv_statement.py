"""The CSV export of Italian home banking: UTF-8 (with or without BOM) or Windows-1252,
``;`` or ``,`` between fields, a few lines of account details before the header, and
column names that every bank spells its own way ("Data contabile", "Importo",
"Entrate", "Descrizione operazione"…), matched without regard to case or accents."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections import Counter
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fundraising.bank import Statement, StatementEntry

CENT = Decimal("0.01")
# How far down the file the header may be (after the account details).
_HEADER_WITHIN = 30

# Normalised column names, best first.
DATE = (
    "data contabile",
    "data operazione",
    "data registrazione",
    "booking date",
    "data valuta",
    "value date",
    "data",
    "date",
)
CREDIT = ("entrate", "avere", "accrediti", "accredito", "credit", "credits")
AMOUNT = ("importo", "amount", "importo operazione", "valore")
DESCRIPTION = (
    "causale",
    "descrizione",
    "descrizione operazione",
    "descrizione estesa",
    "dettagli",
    "remittance",
    "description",
    "details",
    "causale descrizione",
)
COUNTERPARTY = (
    "ordinante",
    "controparte",
    "beneficiario",
    "counterparty",
    "nome ordinante",
    "nome controparte",
    "payer",
)
IBAN = ("iban ordinante", "iban controparte", "counterparty iban", "iban")
REFERENCE = ("riferimento", "riferimento banca", "id operazione", "reference", "cro", "trn")

_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")
_NOISE = {"eur", "euro", "in"}


def _norm(header: str) -> str:
    text = unicodedata.normalize("NFKD", header.replace("\ufeff", ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in _NOISE]
    return " ".join(words)


def _column(headers: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in headers:
            return headers.index(name)
    return None


def parse_amount(raw: str) -> Decimal | None:
    """ "1.234,56", "1234.56", "+1234,56", "-50,00", "€ 1.234,56" → Decimal; None if empty
    or unreadable."""
    text = raw.replace("€", "").replace("EUR", "").replace("\xa0", "").replace(" ", "")
    text = text.replace("'", "")
    if not text:
        return None
    sign = -1 if text.startswith("-") or text.endswith("-") else 1
    text = text.strip("+-")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
    elif "," in text:
        decimal_mark = "," if text.count(",") == 1 else ""
    elif "." in text:
        # "1.234" (Italian thousands) has three digits after its only dot.
        decimal_mark = "." if text.count(".") == 1 and len(text.rsplit(".", 1)[1]) != 3 else ""
    else:
        decimal_mark = ""
    thousands = {",": ".", ".": ",", "": ",."}[decimal_mark]
    for mark in thousands:
        text = text.replace(mark, "")
    text = text.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value != value.quantize(CENT):
        return None
    return sign * value.quantize(CENT)


def parse_date(raw: str) -> dt.date | None:
    text = raw.strip()[:10]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date only
        except ValueError:
            continue
    return None


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise _neither()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _neither() -> ValidationError:
    return ValidationError(
        _(
            "The file is neither an ISO 20022 camt.053 statement nor a CSV export with "
            "recognisable date and amount columns."
        ),
        code="unknown_format",
    )


def _find_header(text: str) -> tuple[list[list[str]], int, dict[str, int | None]]:
    lines = text.splitlines()
    for delimiter in (";", ",", "\t"):
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        for position, row in enumerate(rows[:_HEADER_WITHIN]):
            headers = [_norm(cell) for cell in row]
            columns = {
                "date": _column(headers, DATE),
                "credit": _column(headers, CREDIT),
                "amount": _column(headers, AMOUNT),
                "counterparty": _column(headers, COUNTERPARTY),
                "iban": _column(headers, IBAN),
                "reference": _column(headers, REFERENCE),
            }
            if columns["date"] is None or (columns["credit"] is None and columns["amount"] is None):
                continue
            descriptions = [i for i, h in enumerate(headers) if h in DESCRIPTION]
            columns.update({f"description{n}": i for n, i in enumerate(descriptions)})
            return rows, position, columns
    raise _neither()


def parse_csv_statement(data: bytes) -> Statement:
    """The credits of a home-banking CSV export. Rows without a readable date or
    amount (balances, footers) are passed over; debits are left out. A file without a
    reference column gives each row a stable one: the digest of its date, amount,
    description and counterparty, with the count of identical rows before it."""
    rows, position, columns = _find_header(_decode(data))
    statement = Statement()
    seen: Counter[tuple[str, ...]] = Counter()

    def cell(row: list[str], key: str) -> str:
        index = columns.get(key)
        return " ".join(row[index].split()) if index is not None and index < len(row) else ""

    descriptions = sorted(k for k in columns if k.startswith("description"))
    for number, row in enumerate(rows[position + 1 :], start=position + 2):
        if not any(c.strip() for c in row):
            continue
        amount = parse_amount(cell(row, "credit")) if columns["credit"] is not None else None
        if amount is None and columns["amount"] is not None:
            amount = parse_amount(cell(row, "amount"))
        booked_on = parse_date(cell(row, "date"))
        if amount is None or amount <= 0:
            continue  # a debit, a balance, a footer
        if booked_on is None:
            statement.skipped.append(_("line %(line)s: no readable date") % {"line": number})
            continue
        remittance = " ".join(d for d in (cell(row, k) for k in descriptions) if d)
        counterparty = cell(row, "counterparty")
        reference = cell(row, "reference")
        if not reference:
            key = (booked_on.isoformat(), str(amount), remittance, counterparty)
            occurrence = seen[key]
            seen[key] += 1
            raw = "|".join((*key, str(occurrence)))
            reference = "csv:" + hashlib.sha256(raw.encode()).hexdigest()
        statement.entries.append(
            StatementEntry(
                reference=reference[:120],
                booked_on=booked_on,
                amount=amount,
                counterparty=counterparty[:200],
                counterparty_iban=cell(row, "iban").replace(" ", "").upper()[:34],
                remittance=remittance[:500],
            )
        )
    return statement
