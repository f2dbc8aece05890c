"""Small-count suppression for the aggregates Legami publishes.

Reports about vulnerable people (the research observatory, the piano di zona reports,
survey cross-tabulations) must not reveal counts below a threshold (5 by default), and
the totals printed next to a table must not let a reader work a hidden count out again.

``suppress_table`` takes a two-way table of non-negative counts and returns a
``SuppressedTable`` in which:

* every interior cell and every total with ``0 < count < threshold`` is hidden (primary
  suppression); zeros are published unless ``suppress_zeros=True``, in which case every
  zero is treated as a small count;
* further cells are hidden (secondary suppression) so that no primary-suppressed count
  can be derived from the published values, the row/column/grand-total equations and
  the fact that counts are non-negative integers: for each hidden small count there is
  another table, consistent with everything published, in which that count differs;
* every published value is the true value.

``suppress_series`` does the same for a one-way list of counts and its total.

The algorithm has three steps.  *Primary*: hide the small counts.  *Lines*: every
equation a reader knows (a row with its total, a column with its total, the row totals
or the column totals with the grand total; the row totals against the column totals
when no grand total is published) that has exactly one hidden member gets a
second one, the smallest published non-zero member (interior cells before the line's
total), repeated over all lines until nothing changes.  *Audit*: that rule alone does not
stop every derivation (a hidden cell can still be the only link between two groups of
hidden cells, and then the sums of the equations give it away), so the equations are
solved exactly over the hidden values (Gaussian elimination with fractions) and, while a
primary-suppressed count is still fixed by them, the smallest published non-zero value
whose suppression frees it is hidden too (the lines step then runs again).

The audit is sound (if conservative) for non-zero counts: the equations form a network (flow
conservation at every row and column), so their matrix is totally unimodular; a hidden
count that is not fixed by the equations restricted to the hidden *non-zero* values can
move by one in both directions while every other count stays a non-negative integer.
A zero hidden because of ``suppress_zeros=True`` is only guaranteed not to be fixed by
the equations; non-negativity can still pin it (a line whose hidden total is 0).

Secondary suppression is greedy: it is safe but not minimal (finding the minimal set is
NP-hard in general).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "DEFAULT_THRESHOLD",
    "Cell",
    "SuppressedSeries",
    "SuppressedTable",
    "suppress_series",
    "suppress_table",
]

DEFAULT_THRESHOLD = 5


@dataclass(frozen=True, slots=True)
class Cell:
    """One published count: its value, or ``None`` with ``suppressed=True``.

    How a hidden count is shown (``<5``, ``n.d.``, a dash) is the template's business.
    """

    value: int | None
    suppressed: bool

    def __post_init__(self) -> None:
        if self.suppressed != (self.value is None):
            raise ValueError("A cell has a value exactly when it is not suppressed.")


_HIDDEN = Cell(value=None, suppressed=True)


def _published(value: int) -> Cell:
    return Cell(value=value, suppressed=False)


@dataclass(frozen=True, slots=True)
class SuppressedTable:
    """A two-way table ready to publish: interior cells and the totals asked for.

    ``row_totals``, ``col_totals`` and ``grand_total`` are ``None`` when the caller did
    not ask for them; each total present may itself be suppressed.
    """

    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...] | None
    col_totals: tuple[Cell, ...] | None
    grand_total: Cell | None
    threshold: int

    @property
    def n_rows(self) -> int:
        """Number of rows of the interior table."""
        return len(self.cells)

    @property
    def n_cols(self) -> int:
        """Number of columns of the interior table."""
        return len(self.cells[0])

    def cell(self, row: int, col: int) -> Cell:
        """The interior cell at ``row``, ``col`` (0-based)."""
        return self.cells[row][col]

    def row(self, row: int) -> tuple[Cell, ...]:
        """The interior cells of ``row``."""
        return self.cells[row]

    def column(self, col: int) -> tuple[Cell, ...]:
        """The interior cells of ``col``, top to bottom."""
        return tuple(cells[col] for cells in self.cells)

    def row_total(self, row: int) -> Cell:
        """The total of ``row``; ``LookupError`` if the table has no row totals."""
        if self.row_totals is None:
            raise LookupError("This table was built without row totals.")
        return self.row_totals[row]

    def col_total(self, col: int) -> Cell:
        """The total of ``col``; ``LookupError`` if the table has no column totals."""
        if self.col_totals is None:
            raise LookupError("This table was built without column totals.")
        return self.col_totals[col]

    def values(self) -> tuple[tuple[int | None, ...], ...]:
        """The interior values as published, ``None`` where suppressed."""
        return tuple(tuple(cell.value for cell in cells) for cells in self.cells)

    def all_cells(self) -> Iterator[Cell]:
        """Every cell of the table, totals included (those present)."""
        for cells in self.cells:
            yield from cells
        yield from self.row_totals or ()
        yield from self.col_totals or ()
        if self.grand_total is not None:
            yield self.grand_total

    @property
    def suppressed_count(self) -> int:
        """How many cells, totals included, are suppressed."""
        return sum(cell.suppressed for cell in self.all_cells())


@dataclass(frozen=True, slots=True)
class SuppressedSeries:
    """A one-way list of counts ready to publish, with its total if asked for."""

    cells: tuple[Cell, ...]
    total: Cell | None
    threshold: int

    def __len__(self) -> int:
        return len(self.cells)

    def __iter__(self) -> Iterator[Cell]:
        return iter(self.cells)

    def __getitem__(self, index: int) -> Cell:
        return self.cells[index]

    def values(self) -> tuple[int | None, ...]:
        """The values as published, ``None`` where suppressed."""
        return tuple(cell.value for cell in self.cells)

    @property
    def suppressed_count(self) -> int:
        """How many cells, the total included, are suppressed."""
        total = 1 if self.total is not None and self.total.suppressed else 0
        return total + sum(cell.suppressed for cell in self.cells)


def suppress_table(
    counts: Sequence[Sequence[int]],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    row_totals: bool = True,
    col_totals: bool = True,
    grand_total: bool = True,
    suppress_zeros: bool = False,
) -> SuppressedTable:
    """Suppress the small counts of a two-way table and whatever would reveal them.

    ``counts`` is a non-empty rectangular table of non-negative integers.  The totals
    are computed from it and published only if asked for; a reader is assumed to know
    every equation between the values published (and that counts are non-negative
    integers), so totals that are left out do not constrain the suppression.  Raises
    ``ValueError`` on an empty or ragged table, a negative or non-integer count, or a
    threshold below 1.
    """
    _check_threshold(threshold)
    rows = [list(row) for row in counts]
    if not rows or not rows[0]:
        raise ValueError("A table needs at least one row and one column.")
    n_cols = len(rows[0])
    if any(len(row) != n_cols for row in rows):
        raise ValueError("Every row of the table must have the same number of columns.")
    for row in rows:
        _check_counts(row)
    n_rows = len(rows)

    # Variables: interior cells row by row, then row totals, column totals, grand total.
    values: list[int] = [count for row in rows for count in row]
    interior = [[i * n_cols + j for j in range(n_cols)] for i in range(n_rows)]
    row_vars: list[int] = []
    col_vars: list[int] = []
    equations: list[_Equation] = []
    if row_totals:
        for i in range(n_rows):
            row_vars.append(len(values))
            values.append(sum(rows[i]))
            equations.append(_Equation(row_vars[-1], tuple(interior[i])))
    if col_totals:
        for j in range(n_cols):
            col_vars.append(len(values))
            values.append(sum(row[j] for row in rows))
            equations.append(_Equation(col_vars[-1], tuple(r[j] for r in interior)))
    grand_var: int | None = None
    if grand_total:
        grand_var = len(values)
        values.append(sum(map(sum, rows)))
        if row_vars:
            equations.append(_Equation(grand_var, tuple(row_vars)))
        if col_vars:
            equations.append(_Equation(grand_var, tuple(col_vars)))
        if not row_vars and not col_vars:
            equations.append(_Equation(grand_var, tuple(range(n_rows * n_cols))))

    # Each equation is a line whose members are hidden before its total.
    lines = [_Line(eq.members, (eq.total,)) for eq in equations]
    if row_vars and col_vars and not grand_total:
        # The row totals and the column totals add up to the same, unpublished, sum.
        lines.append(_Line((*row_vars, *col_vars), ()))
    hidden = _suppress(values, equations, lines, threshold=threshold, suppress_zeros=suppress_zeros)

    def cell(var: int) -> Cell:
        return _HIDDEN if var in hidden else _published(values[var])

    return SuppressedTable(
        cells=tuple(tuple(cell(var) for var in row) for row in interior),
        row_totals=tuple(cell(var) for var in row_vars) if row_totals else None,
        col_totals=tuple(cell(var) for var in col_vars) if col_totals else None,
        grand_total=cell(grand_var) if grand_var is not None else None,
        threshold=threshold,
    )


def suppress_series(
    counts: Sequence[int],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    total: bool = True,
    suppress_zeros: bool = False,
) -> SuppressedSeries:
    """Suppress the small counts of a list and, if a total is published, a second one.

    With a total, a list with a hidden count always has at least two hidden values (the
    total may be one of them), chosen as in ``suppress_table``.  Raises ``ValueError``
    on an empty list, a negative or non-integer count, or a threshold below 1.
    """
    table = suppress_table(
        [list(counts)],
        threshold=threshold,
        row_totals=total,
        col_totals=False,
        grand_total=False,
        suppress_zeros=suppress_zeros,
    )
    return SuppressedSeries(
        cells=table.cells[0],
        total=table.row_totals[0] if table.row_totals is not None else None,
        threshold=threshold,
    )


def _check_threshold(threshold: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"The threshold must be an integer of at least 1, not {threshold!r}.")


def _check_counts(counts: Iterable[object]) -> None:
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int):
            raise ValueError(f"Counts must be integers, not {count!r}.")
        if count < 0:
            raise ValueError(f"Counts cannot be negative: {count}.")


@dataclass(frozen=True, slots=True)
class _Line:
    """Values a reader knows to be related: ``first`` are hidden before ``then``."""

    first: tuple[int, ...]
    then: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Equation:
    """``values[total] == sum(values[m] for m in members)``."""

    total: int
    members: tuple[int, ...]


def _suppress(
    values: Sequence[int],
    equations: Sequence[_Equation],
    lines: Sequence[_Line],
    *,
    threshold: int,
    suppress_zeros: bool,
) -> set[int]:
    """The variables to hide: primary, then lines and audit to a fixed point."""
    primary = {
        var
        for var, value in enumerate(values)
        if value < threshold and (value > 0 or suppress_zeros)
    }
    hidden = set(primary)
    while True:
        _complete_lines(values, lines, hidden)
        exposed = _exposed(values, equations, hidden, primary)
        if not exposed:
            return hidden
        hidden.add(_protector(values, equations, hidden, exposed[0]))


def _rank_key(values: Sequence[int], var: int) -> tuple[int, int]:
    return (values[var], var)


def _complete_lines(values: Sequence[int], lines: Sequence[_Line], hidden: set[int]) -> None:
    """Hide a second value of every line with exactly one hidden value, to a fixed point.

    The second value is the smallest published non-zero one of ``first``, else of
    ``then``; a line with no such value is left as it is (its other values are zeros).
    """
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(var in hidden for var in (*line.first, *line.then)) != 1:
                continue
            for group in (line.first, line.then):
                candidates = [v for v in group if v not in hidden and values[v] > 0]
                if candidates:
                    hidden.add(min(candidates, key=lambda v: _rank_key(values, v)))
                    changed = True
                    break


def _exposed(
    values: Sequence[int],
    equations: Sequence[_Equation],
    hidden: set[int],
    primary: set[int],
) -> list[int]:
    """The primary-suppressed variables that the equations still fix, in order."""
    fixed = _determined(equations, {v for v in hidden if values[v] > 0})
    exposed = {v for v in primary if values[v] > 0 and v in fixed}
    zeros = {v for v in primary if values[v] == 0}
    if zeros:
        exposed |= zeros & _determined(equations, hidden)
    return sorted(exposed)


def _is_fixed(
    values: Sequence[int], equations: Sequence[_Equation], hidden: set[int], var: int
) -> bool:
    unknown = hidden if values[var] == 0 else {v for v in hidden if values[v] > 0}
    return var in _determined(equations, unknown)


def _protector(
    values: Sequence[int], equations: Sequence[_Equation], hidden: set[int], var: int
) -> int:
    """A published non-zero variable to hide so that ``var`` is (closer to) not fixed.

    The smallest one whose suppression alone frees ``var``; failing that, the smallest
    in an equation with ``var``, else the smallest anywhere.  Hiding every non-zero
    value frees everything (each variable then lies on a cycle of the network), so the
    caller's loop ends.
    """
    candidates = sorted(
        (v for v in range(len(values)) if v not in hidden and values[v] > 0),
        key=lambda v: _rank_key(values, v),
    )
    if not candidates:  # pragma: no cover - ruled out by the cycle argument above
        raise AssertionError("Nothing left to suppress.")
    for candidate in candidates:
        if not _is_fixed(values, equations, hidden | {candidate}, var):
            return candidate
    neighbours = {
        v for eq in equations if var in (eq.total, *eq.members) for v in (eq.total, *eq.members)
    }
    return next((v for v in candidates if v in neighbours), candidates[0])


def _determined(equations: Sequence[_Equation], unknown: set[int]) -> set[int]:
    """The unknowns whose value the equations fix, the other variables being known.

    Row-reduces the equations restricted to the unknowns; an unknown is fixed exactly
    when it is a pivot whose reduced row has no free unknown.
    """
    pivots: dict[int, dict[int, Fraction]] = {}
    for equation in equations:
        row: dict[int, Fraction] = {}
        if equation.total in unknown:
            row[equation.total] = Fraction(1)
        for member in equation.members:
            if member in unknown:
                row[member] = row.get(member, Fraction(0)) - 1
        for col, pivot_row in pivots.items():
            factor = row.get(col)
            if factor:
                _axpy(row, -factor, pivot_row)
        if not row:
            continue
        col = min(row)
        scale = row[col]
        row = {c: v / scale for c, v in row.items()}
        for pivot_row in pivots.values():
            factor = pivot_row.get(col)
            if factor:
                _axpy(pivot_row, -factor, row)
        pivots[col] = row
    return {col for col, row in pivots.items() if len(row) == 1}


def _axpy(target: dict[int, Fraction], factor: Fraction, source: dict[int, Fraction]) -> None:
    """``target += factor * source`` on sparse rows, dropping the zeros."""
    for col, value in source.items():
        new = target.get(col, Fraction(0)) + factor * value
        if new:
            target[col] = new
        else:
            target.pop(col, None)
