"""The desk's exports: donations, donors and the yearly per-donor totals for the tax
declarations, as an XLSX workbook or as a CSV file.

* XLSX (openpyxl): one sheet named after the export, a bold header row that stays in
  view (frozen), euro amounts as numbers with a euro number format, dates as dates.
* CSV: streamed row by row, UTF-8 with a BOM and ``;`` between fields, amounts with a
  decimal comma and dates as ``YYYY-MM-DD``: what Excel set up for Italy opens with a
  double click, accents, amounts and dates included.

A text cell that a spreadsheet would run as a formula (it begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) is written with a leading apostrophe, so it
is shown, never run (CSV/formula injection).

Which rows go out is the views' business (the policy's ``Action.EXPORT``); these
functions only lay them out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fundraising.models import Donation, DonationStatus, Donor, DonorKind
from legami.exports import BOM, Echo, safe_text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
CSV_DELIMITER = ";"
# Rows per piece of a streamed CSV (about 150 bytes each for the donations).
CSV_BATCH = 500
EURO_FORMAT = '#,##0.00 "€"'
DATE_FORMAT = "DD/MM/YYYY"
TEXT, MONEY, DATE, NUMBER = "text", "money", "date", "number"
ZERO = Decimal("0.00")
_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Column:
    title: str | Promise
    kind: str = TEXT
    width: int = 16


def _yes_no(value: bool) -> str:
    return str(_("yes") if value else _("no"))


def _day(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value is not None else None


# --- Donations ------------------------------------------------------------------------


DONATION_COLUMNS = (
    Column(_("Date"), DATE, 12),
    Column(_("Donor"), TEXT, 28),
    Column(_("Codice fiscale"), TEXT, 18),
    Column(_("Partita IVA"), TEXT, 14),
    Column(_("E-mail"), TEXT, 28),
    Column(_("Recipient"), TEXT, 28),
    Column(_("Campaign"), TEXT, 28),
    Column(_("Amount"), MONEY, 14),
    Column(_("Method"), TEXT, 16),
    Column(_("Status"), TEXT, 12),
    Column(_("Anonymous"), TEXT, 10),
    Column(_("Causale"), TEXT, 14),
    Column(_("Receipt"), TEXT, 12),
    Column(_("Received on"), DATE, 12),
    Column(_("Refunded"), DATE, 12),
)


# The columns ``donation_rows`` reads, and only those (one query; no other field may be
# read there, or each row would cost a query of its own).
DONATION_FIELDS = (
    "date",
    "amount",
    "method",
    "status",
    "anonymous",
    "causale",
    "received_at",
    "refunded_at",
    "donor",
    "campaign",
    "organisation",
    "organisation__name",
    "campaign__title",
    "donor__kind",
    "donor__first_name",
    "donor__last_name",
    "donor__company_name",
    "donor__codice_fiscale",
    "donor__partita_iva",
    "donor__email",
    "receipt__number",
    "receipt__year",
)


def donations_for_export(qs: QuerySet[Donation]) -> QuerySet[Donation]:
    return (
        qs.select_related("donor", "campaign", "organisation", "receipt")
        .only(*DONATION_FIELDS)
        .order_by("date", "pk")
    )


def _labels(model: Any, name: str) -> dict[Any, str]:
    """The labels of a field's choices in the active language, as ``get_FOO_display``
    gives them (looked up once per export: per row, translating every choice is what
    the export spent most of its time on)."""
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


def donation_rows(qs: QuerySet[Donation]) -> Iterator[list[Any]]:
    """One row per donation of ``qs`` (read in chunks)."""
    methods = _labels(Donation, "method")
    statuses = _labels(Donation, "status")
    yes, no = _yes_no(True), _yes_no(False)
    for d in donations_for_export(qs).iterator(chunk_size=1000):
        donor = d.donor
        receipt = getattr(d, "receipt", None)
        yield [
            d.date,
            donor.display_name if donor else "",
            donor.codice_fiscale if donor else "",
            donor.partita_iva if donor else "",
            donor.email if donor else "",
            d.organisation.name,
            d.campaign.title if d.campaign else "",
            d.amount,
            methods.get(d.method, d.method),
            statuses.get(d.status, d.status),
            yes if d.anonymous else no,
            d.causale or "",
            f"{receipt.number}/{receipt.year}" if receipt else "",
            _day(d.received_at),
            _day(d.refunded_at),
        ]


# --- Donors ---------------------------------------------------------------------------


DONOR_COLUMNS = (
    Column(_("Kind"), TEXT, 14),
    Column(_("Last name"), TEXT, 18),
    Column(_("First name"), TEXT, 18),
    Column(_("Company or body"), TEXT, 28),
    Column(_("Codice fiscale"), TEXT, 18),
    Column(_("Partita IVA"), TEXT, 14),
    Column(_("E-mail"), TEXT, 28),
    Column(_("Phone"), TEXT, 16),
    Column(_("Address"), TEXT, 28),
    Column(_("Postcode"), TEXT, 10),
    Column(_("City"), TEXT, 18),
    Column(_("Gifts received"), NUMBER, 10),
    Column(_("Total received"), MONEY, 14),
    Column(_("Last gift"), DATE, 12),
)


def donors_for_export(qs: QuerySet[Donor], gifts: Q) -> QuerySet[Donor]:
    """``qs`` with the totals of the received gifts selected by ``gifts`` (a Q on
    ``donations__…``), in one query."""
    received = gifts & Q(donations__status=DonationStatus.RECEIVED)
    return qs.annotate(
        export_gifts=Count("donations", filter=received),
        export_total=Coalesce(
            Sum("donations__amount", filter=received), Value(ZERO), output_field=_MONEY
        ),
        export_last=Max("donations__date", filter=received),
    ).order_by("last_name", "first_name", "company_name", "pk")


def donor_rows(qs: QuerySet[Donor]) -> Iterator[list[Any]]:
    for d in qs.iterator(chunk_size=1000):
        a: Any = d
        yield [
            d.get_kind_display(),
            d.last_name,
            d.first_name,
            d.company_name,
            d.codice_fiscale,
            d.partita_iva,
            d.email,
            d.phone,
            d.address,
            d.postcode,
            d.city,
            a.export_gifts,
            a.export_total,
            a.export_last,
        ]


# --- Yearly totals for the tax declarations --------------------------------------------


YEARLY_COLUMNS = (
    Column(_("Donor"), TEXT, 32),
    Column(_("Kind"), TEXT, 14),
    Column(_("Codice fiscale"), TEXT, 18),
    Column(_("Partita IVA"), TEXT, 14),
    Column(_("Total received in the year"), MONEY, 16),
    Column(_("Number of gifts"), NUMBER, 10),
)


def yearly_rows(qs: QuerySet[Donor]) -> Iterator[list[Any]]:
    """Rows of ``selectors.yearly_donor_totals``."""
    for d in qs.iterator(chunk_size=1000):
        a: Any = d
        yield [
            d.display_name if d.kind == DonorKind.COMPANY else f"{d.last_name} {d.first_name}",
            d.get_kind_display(),
            d.codice_fiscale,
            d.partita_iva,
            a.year_total,
            a.year_gifts,
        ]


# --- Writing --------------------------------------------------------------------------


def xlsx(title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> bytes:
    """A workbook of one sheet named ``title``: the header row in bold and frozen,
    amounts and dates typed and formatted, texts guarded against formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet = workbook.create_sheet(_sheet_title(title))
    sheet.append([str(c.title) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for row in rows:
        sheet.append([_xlsx_value(c, v) for c, v in zip(columns, row, strict=True)])
        line = sheet.max_row
        for index, column in enumerate(columns, start=1):
            if column.kind == MONEY:
                sheet.cell(row=line, column=index).number_format = EURO_FORMAT
            elif column.kind == DATE:
                sheet.cell(row=line, column=index).number_format = DATE_FORMAT
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    return title.strip()[:31] or "Legami"


def _xlsx_value(column: Column, value: Any) -> Any:
    if value is None or value == "":
        return None
    if column.kind == MONEY:
        return Decimal(value)
    if column.kind in (DATE, NUMBER):
        return value
    return safe_text(str(value))


def _csv_value(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind == MONEY:
        return f"{Decimal(value):.2f}".replace(".", ",")
    if column.kind == DATE:
        return value.isoformat()
    if column.kind == NUMBER:
        return str(value)
    return safe_text(str(value))


def csv_lines(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], batch: int = CSV_BATCH
) -> Iterator[str]:
    """The CSV for a StreamingHttpResponse: a BOM and the header at once, then the rows
    ``batch`` lines at a time (one write to the client per batch rather than per row)."""
    writer = csv.writer(Echo(), delimiter=CSV_DELIMITER)
    yield BOM + writer.writerow([safe_text(str(c.title)) for c in columns])
    lines: list[str] = []
    for row in rows:
        lines.append(writer.writerow([_csv_value(c, v) for c, v in zip(columns, row, strict=True)]))
        if len(lines) >= batch:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)
