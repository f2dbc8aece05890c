"""The vulnerability observatory: the published tables, built from counts only.

The counts come from the case-file apps' selectors (``beneficiaries.selectors`` and
``pacts.selectors``: they group and count in the database, no person leaves them); here
they become two-way tables with row and column totals and a grand total, suppressed with
``legami.aggregates.suppress_table`` (threshold 5, secondary suppression so that the
totals do not give a hidden count away). Anything derived from a table (a share, its
change, a median band, the chart) is computed from published values only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from beneficiaries import selectors as case_files
from legami.aggregates import DEFAULT_THRESHOLD, Cell, SuppressedTable, suppress_table
from pacts import selectors as pact_files

THRESHOLD = DEFAULT_THRESHOLD
DIMENSIONS: tuple[tuple[str, Any], ...] = (
    ("area", _("Vulnerability area")),
    ("age_band", _("Age band")),
    ("sex", _("Sex")),
    ("ambito", _("Ambito")),
    ("channel", _("Channel of intake")),
)
PERIODS: tuple[tuple[str, Any], ...] = (
    ("12", _("The last 12 months")),
    ("24", _("The last 24 months")),
    ("36", _("The last 36 months")),
)
_UNKNOWN_LABEL = _("not recorded")
_RISK_LABELS = {
    case_files.AT_RISK: _("At risk (LSNS-6 below 12)"),
    case_files.NOT_AT_RISK: _("Not at risk (12 or more)"),
}


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Cell, ...]
    total: Cell
    extra: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """A published table: its interior rows with their totals, the column totals and
    the grand total, every cell published or suppressed."""

    row_header: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    col_totals: tuple[Cell, ...]
    grand_total: Cell
    extra_columns: tuple[str, ...] = ()

    @property
    def has_suppressed(self) -> bool:
        cells = [c for row in self.rows for c in (*row.cells, row.total)]
        return any(c.suppressed for c in (*cells, *self.col_totals, self.grand_total))

    def published_values(self) -> list[int]:
        """Every number the table publishes (for the tests and the chart)."""
        cells = [c for row in self.rows for c in (*row.cells, row.total)]
        return [
            c.value for c in (*cells, *self.col_totals, self.grand_total) if c.value is not None
        ]


@dataclass(frozen=True)
class Observatory:
    since: dt.date
    until: dt.date
    dimension: str
    dimension_label: str
    intakes: Table
    isolation: Table
    intake_to_pact: Table
    chart: dict[str, Any]


def period(months: int, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """The ``months`` calendar months that end with the current one."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1), today


def months_between(since: dt.date, until: dt.date) -> list[str]:
    keys, index = [], since.year * 12 + since.month - 1
    while index <= until.year * 12 + until.month - 1:
        keys.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
        index += 1
    return keys


def _table(
    counts: dict[tuple[str, str], int],
    *,
    row_keys: list[str],
    row_labels: dict[str, str] | None = None,
    columns: list[tuple[str, str]],
    row_header: str,
) -> tuple[Table, SuppressedTable]:
    matrix = [[counts.get((r, c), 0) for c, _label in columns] for r in row_keys]
    if not matrix:
        matrix = [[0] * len(columns)]
        row_keys = ["—"]
    published = suppress_table(matrix, threshold=THRESHOLD)
    labels = row_labels or {}
    rows = tuple(
        Row(label=labels.get(key, key), cells=published.row(i), total=published.row_total(i))
        for i, key in enumerate(row_keys)
    )
    return (
        Table(
            row_header=row_header,
            columns=tuple(label for _key, label in columns),
            rows=rows,
            col_totals=published.col_totals or (),
            grand_total=published.grand_total or Cell(value=0, suppressed=False),
        ),
        published,
    )


def _columns_of(dimension: str, counts: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    """The known categories of the dimension, then any other key counted."""
    columns = case_files.observatory_categories(dimension)
    known = {key for key, _label in columns}
    for key in sorted({c for _r, c in counts} - known):
        columns.append((key, str(_UNKNOWN_LABEL) if key == case_files.UNKNOWN else key))
    if not columns:
        columns = [(case_files.UNKNOWN, str(_UNKNOWN_LABEL))]
    return columns


def _share(part: Cell, whole: Cell) -> float | None:
    if part.value is None or whole.value is None or not whole.value:
        return None
    return round(100 * part.value / whole.value, 1)


def _isolation(since: dt.date, until: dt.date) -> Table:
    counts = case_files.isolation_risk(since=since, until=until)
    quarters = [label for label, _first, _last in case_files.quarters(since, until)]
    columns = [(key, str(label)) for key, label in _RISK_LABELS.items()]
    table, published = _table(
        counts, row_keys=quarters, columns=columns, row_header=str(_("Quarter"))
    )
    rows, previous = [], None
    for i, row in enumerate(table.rows):
        share = _share(published.cell(i, 0), published.row_total(i))
        change = f"{share - previous:+.1f}" if share is not None and previous is not None else "—"
        rows.append(
            Row(
                label=row.label,
                cells=row.cells,
                total=row.total,
                extra=(f"{share:.1f}" if share is not None else "—", change),
            )
        )
        previous = share
    return Table(
        row_header=table.row_header,
        columns=table.columns,
        rows=tuple(rows),
        col_totals=table.col_totals,
        grand_total=table.grand_total,
        extra_columns=(str(_("Share at risk (%)")), str(_("Change (points)"))),
    )


def _intake_to_pact(since: dt.date, until: dt.date) -> Table:
    counts = pact_files.intake_to_pact(since=since, until=until)
    quarters = [label for label, _first, _last in case_files.quarters(since, until)]
    columns = [
        (key, str(_("%(band)s days") % {"band": key}))
        for key, _days in pact_files.INTAKE_TO_PACT_BANDS
    ]
    table, published = _table(
        counts, row_keys=quarters, columns=columns, row_header=str(_("Quarter of signature"))
    )
    rows = []
    for i, row in enumerate(table.rows):
        median = "—"
        values = [cell.value for cell in published.row(i)]
        total = published.row_total(i).value
        # Only from a row published whole: a median band must not hint at a hidden count.
        if total and all(v is not None for v in values):
            running = 0
            for (_key, label), value in zip(columns, values, strict=True):
                running += value or 0
                if 2 * running >= total:
                    median = label
                    break
        rows.append(Row(label=row.label, cells=row.cells, total=row.total, extra=(median,)))
    return Table(
        row_header=table.row_header,
        columns=table.columns,
        rows=tuple(rows),
        col_totals=table.col_totals,
        grand_total=table.grand_total,
        extra_columns=(str(_("Median time")),),
    )


def observatory(*, dimension: str, months: int, today: dt.date) -> Observatory:
    """Every table of the observatory for the ``months`` months ending today."""
    since, until = period(months, today=today)
    month_keys = months_between(since, until)
    counts = case_files.intakes_by_month(since=since, until=until, dimension=dimension)
    label = str(dict(DIMENSIONS)[dimension])
    intakes, _published = _table(
        counts,
        row_keys=month_keys,
        columns=_columns_of(dimension, counts),
        row_header=str(_("Month")),
    )
    if dimension == "area":
        # A person with two areas counts in both: the monthly totals of intakes come from
        # a dimension every intake has exactly one value of.
        totals_table, _p = _table(
            case_files.intakes_by_month(since=since, until=until, dimension="channel"),
            row_keys=month_keys,
            columns=_columns_of("channel", {}),
            row_header=str(_("Month")),
        )
        totals = [row.total.value for row in totals_table.rows]
    else:
        totals = [row.total.value for row in intakes.rows]
    chart = {
        "labels": month_keys,
        "values": totals,
        "label": str(_("New intakes per month (empty where the count is suppressed)")),
    }
    return Observatory(
        since=since,
        until=until,
        dimension=dimension,
        dimension_label=label,
        intakes=intakes,
        isolation=_isolation(since, until),
        intake_to_pact=_intake_to_pact(since, until),
        chart=chart,
    )
