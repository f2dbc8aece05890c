"""Small-count suppression: primary, secondary and the attacker's linear program.

The property tests check every suppressed table against an independent auditor that
knows what a reader knows (the published values, the equations between the totals and
the cells, non-negativity) and solves a linear program for the smallest and largest
value each hidden small count could take.  The equations of a table with its margins
form a network, whose matrix is totally unimodular, so the LP bounds are integers and
every integer between them is feasible: the LP range is the integer range.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.linear_solver import pywraplp

from legami import aggregates
from legami.aggregates import (
    Cell,
    SuppressedTable,
    suppress_series,
    suppress_table,
)

# --- the auditor -------------------------------------------------------------------


@dataclass(frozen=True)
class Disclosure:
    """A hidden count and the range a reader can narrow it down to."""

    name: str
    true_value: int
    low: int
    high: int


def _published_grid(
    counts: list[list[int]], table: SuppressedTable
) -> tuple[dict[str, int], dict[str, Cell], list[tuple[str, list[str]]]]:
    """True values, published cells and the known equations (total, members) by name."""
    n_rows, n_cols = len(counts), len(counts[0])
    truth: dict[str, int] = {}
    shown: dict[str, Cell] = {}
    equations: list[tuple[str, list[str]]] = []
    for i in range(n_rows):
        for j in range(n_cols):
            truth[f"x{i},{j}"] = counts[i][j]
            shown[f"x{i},{j}"] = table.cell(i, j)
    if table.row_totals is not None:
        for i in range(n_rows):
            truth[f"r{i}"] = sum(counts[i])
            shown[f"r{i}"] = table.row_total(i)
            equations.append((f"r{i}", [f"x{i},{j}" for j in range(n_cols)]))
    if table.col_totals is not None:
        for j in range(n_cols):
            truth[f"c{j}"] = sum(row[j] for row in counts)
            shown[f"c{j}"] = table.col_total(j)
            equations.append((f"c{j}", [f"x{i},{j}" for i in range(n_rows)]))
    if table.grand_total is not None:
        truth["g"] = sum(map(sum, counts))
        shown["g"] = table.grand_total
        equations.append(("g", [name for name in truth if name.startswith("x")]))
        if table.row_totals is not None:
            equations.append(("g", [f"r{i}" for i in range(n_rows)]))
        if table.col_totals is not None:
            equations.append(("g", [f"c{j}" for j in range(n_cols)]))
    return truth, shown, equations


def feasible_ranges(
    truth: dict[str, int],
    shown: dict[str, Cell],
    equations: list[tuple[str, list[str]]],
) -> dict[str, tuple[int, int]]:
    """For every hidden value, the least and greatest value a reader can infer."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    upper = sum(v for name, v in truth.items() if name.startswith("x"))
    variables = {
        name: (
            solver.NumVar(0, upper, name)
            if cell.suppressed
            else solver.NumVar(cell.value, cell.value, name)
        )
        for name, cell in shown.items()
    }
    for total, members in equations:
        solver.Add(variables[total] == sum(variables[m] for m in members))
    ranges: dict[str, tuple[int, int]] = {}
    for name, cell in shown.items():
        if not cell.suppressed:
            continue
        bounds = []
        for maximize in (False, True):
            objective = solver.Objective()
            objective.Clear()
            objective.SetCoefficient(variables[name], 1)
            objective.SetOptimizationDirection(maximize)
            assert solver.Solve() == pywraplp.Solver.OPTIMAL
            bounds.append(round(objective.Value()))
        ranges[name] = (bounds[0], bounds[1])
    return ranges


def disclosures(counts: list[list[int]], table: SuppressedTable) -> list[Disclosure]:
    """The hidden small counts (0 < n < threshold) that a reader can pin down."""
    truth, shown, equations = _published_grid(counts, table)
    found = []
    for name, (low, high) in feasible_ranges(truth, shown, equations).items():
        value = truth[name]
        assert low <= value <= high, f"{name}={value} outside the reader's range"
        if 0 < value < table.threshold and low == high:
            found.append(Disclosure(name, value, low, high))
    return found


def _assert_published_truthfully(counts: list[list[int]], table: SuppressedTable) -> None:
    truth, shown, _ = _published_grid(counts, table)
    for name, cell in shown.items():
        if not cell.suppressed:
            assert cell.value == truth[name], name


# --- strategies --------------------------------------------------------------------


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[list[int]], dict[str, object]]:
    n_rows = draw(st.integers(1, 6))
    n_cols = draw(st.integers(1, 6))
    counts = draw(
        st.lists(
            st.lists(st.integers(0, 30), min_size=n_cols, max_size=n_cols),
            min_size=n_rows,
            max_size=n_rows,
        )
    )
    options: dict[str, object] = {
        "threshold": draw(st.integers(3, 10)),
        "row_totals": draw(st.booleans()),
        "col_totals": draw(st.booleans()),
        "grand_total": draw(st.booleans()),
        "suppress_zeros": draw(st.booleans()),
    }
    return counts, options


# --- properties --------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(tables())
def test_suppressed_tables_publish_no_small_count_directly_or_by_derivation(
    drawn: tuple[list[list[int]], dict[str, object]],
) -> None:
    """No published value is small, none is wrong, and every hidden small count could
    take at least one other value given everything published."""
    counts, options = drawn
    table = suppress_table(counts, **options)  # type: ignore[arg-type]
    threshold = table.threshold

    for cell in table.all_cells():
        if not cell.suppressed:
            assert cell.value is not None
            assert not 0 < cell.value < threshold
            if options["suppress_zeros"]:
                assert cell.value != 0
    _assert_published_truthfully(counts, table)
    assert disclosures(counts, table) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 30), min_size=1, max_size=8),
    st.integers(3, 10),
    st.booleans(),
)
def test_suppressed_series_hide_small_counts_from_the_total(
    counts: list[int], threshold: int, total: bool
) -> None:
    """A list never shows a small count, and its total never gives one back."""
    series = suppress_series(counts, threshold=threshold, total=total)
    for cell, value in zip(series, counts, strict=True):
        assert cell.suppressed or cell.value == value
        assert cell.suppressed or not 0 < value < threshold
    if series.total is not None:
        assert series.total.suppressed or series.total.value == sum(counts)
        hidden = [cell.suppressed for cell in series] + [series.total.suppressed]
        assert sum(hidden) != 1


# --- the auditor can fail ----------------------------------------------------------


def test_auditor_finds_a_small_count_hidden_by_primary_suppression_alone() -> None:
    """Hiding only the small cell of a 2x2 table with its totals gives it away."""
    counts = [[2, 8], [6, 12]]
    naive = SuppressedTable(
        cells=((Cell(None, True), Cell(8, False)), (Cell(6, False), Cell(12, False))),
        row_totals=(Cell(10, False), Cell(18, False)),
        col_totals=(Cell(8, False), Cell(20, False)),
        grand_total=Cell(28, False),
        threshold=5,
    )

    assert disclosures(counts, naive) == [Disclosure("x0,0", 2, 2, 2)]


def test_auditor_finds_a_small_count_pinned_by_non_negativity() -> None:
    """A hidden 3 in a 2x2 table of hidden cells whose other row and column total 0:
    the equations alone leave it free, but no count can go below zero."""
    counts = [[3, 0], [0, 0]]
    hidden = Cell(None, True)
    table = SuppressedTable(
        cells=((hidden, hidden), (hidden, hidden)),
        row_totals=(Cell(3, False), Cell(0, False)),
        col_totals=(Cell(3, False), Cell(0, False)),
        grand_total=Cell(3, False),
        threshold=5,
    )

    assert disclosures(counts, table) == [Disclosure("x0,0", 3, 3, 3)]


# --- textbook examples -------------------------------------------------------------


def _hidden(table: SuppressedTable) -> set[tuple[int, int]]:
    return {
        (i, j)
        for i in range(table.n_rows)
        for j in range(table.n_cols)
        if table.cell(i, j).suppressed
    }


def test_a_small_cell_of_a_two_by_two_table_hides_the_whole_interior() -> None:
    """In a 2x2 table with margins, one small cell takes its row, its column and the
    opposite corner with it; the margins stay published."""
    counts = [[2, 8], [6, 12]]

    table = suppress_table(counts)

    assert table.values() == ((None, None), (None, None))
    assert table.row_totals == (Cell(10, False), Cell(18, False))
    assert table.col_totals == (Cell(8, False), Cell(20, False))
    assert table.grand_total == Cell(28, False)
    assert disclosures(counts, table) == []


def test_a_small_cell_of_a_three_by_three_table_hides_a_rectangle() -> None:
    """The small cell is paired with the smallest cell of its row and of its column,
    and the fourth corner closes the rectangle; everything else is published."""
    counts = [[3, 10, 12], [9, 15, 20], [8, 11, 30]]

    table = suppress_table(counts)

    assert _hidden(table) == {(0, 0), (0, 1), (2, 0), (2, 1)}
    assert table.values() == ((None, None, 12), (9, 15, 20), (None, None, 30))
    assert not any(cell.suppressed for cell in table.row_totals or ())
    assert not any(cell.suppressed for cell in table.col_totals or ())
    assert table.suppressed_count == 4
    assert disclosures(counts, table) == []


def test_a_hidden_cell_linking_two_groups_of_hidden_cells_gets_a_second_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every line here has two hidden values, yet the 3 in the last row is the only link
    between a rectangle of hidden cells and the hidden cells of rows 1 and 3, so the
    equations of one group add up to it; the audit hides the 20 above it as well."""
    counts = [[30, 20, 8], [0, 1, 0], [8, 20, 1], [0, 2, 3]]
    bridge_only = {(0, 0), (0, 2), (1, 1), (2, 0), (2, 2), (3, 1), (3, 2)}

    table = suppress_table(counts, threshold=8)

    assert _hidden(table) == bridge_only | {(0, 1)}
    assert [cell.suppressed for cell in table.row_totals or ()] == [False, True, False, True]
    assert disclosures(counts, table) == []

    # Given the line rule alone (the audit switched off), the 3 is disclosed.
    monkeypatch.setattr(aggregates, "_exposed", lambda *args: [])
    lines_only = suppress_table(counts, threshold=8)
    assert _hidden(lines_only) == bridge_only
    assert disclosures(counts, lines_only) == [Disclosure("x3,2", 3, 3, 3)]


def test_row_and_column_totals_without_grand_total_still_protect_a_row_total() -> None:
    """Without a grand total, the row totals and the column totals still share a sum, so
    a single small row total is not left alone among published totals."""
    counts = [[20, 12], [8, 12], [30, 2], [30, 0], [30, 1], [5, 1]]

    table = suppress_table(counts, threshold=7, grand_total=False)

    assert table.row_total(5).suppressed
    hidden_totals = [
        cell for cell in (*(table.row_totals or ()), *(table.col_totals or ())) if cell.suppressed
    ]
    assert len(hidden_totals) >= 2
    assert disclosures(counts, table) == []


def test_an_all_zero_table_is_published_as_it_is() -> None:
    """Zeros are not small counts unless asked: nothing is hidden."""
    table = suppress_table([[0, 0, 0], [0, 0, 0]])

    assert table.suppressed_count == 0
    assert table.values() == ((0, 0, 0), (0, 0, 0))
    assert table.grand_total == Cell(0, False)


def test_suppress_zeros_hides_an_all_zero_table_completely() -> None:
    """With ``suppress_zeros`` every zero, totals included, is a small count."""
    table = suppress_table([[0, 0], [0, 0]], suppress_zeros=True)

    assert all(cell.suppressed for cell in table.all_cells())


def test_a_small_row_total_is_hidden_with_a_second_row_total() -> None:
    """A row of total 3 hides its total; the grand total and the other row total would
    give it back, so the other row total goes too, and each column keeps two hidden
    cells."""
    counts = [[1, 2], [10, 20]]

    table = suppress_table(counts)

    assert table.row_totals == (Cell(None, True), Cell(None, True))
    assert table.col_totals == (Cell(11, False), Cell(22, False))
    assert table.grand_total == Cell(33, False)
    assert _hidden(table) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert disclosures(counts, table) == []


def test_a_small_count_is_published_once_it_reaches_the_threshold() -> None:
    """The threshold itself is not a small count."""
    table = suppress_table([[5, 7], [9, 11]], threshold=5)

    assert table.suppressed_count == 0


def test_a_table_without_totals_hides_only_the_small_cells() -> None:
    """With nothing to subtract from, there is no secondary suppression."""
    table = suppress_table([[1, 8], [6, 12]], row_totals=False, col_totals=False, grand_total=False)

    assert table.values() == ((None, 8), (6, 12))
    assert table.row_totals is None
    with pytest.raises(LookupError):
        table.row_total(0)


def test_a_series_hides_its_smallest_other_count_beside_a_small_one() -> None:
    """``[3, 10, 20]`` with its total: 3 and 10 are hidden, 20 and 33 published."""
    series = suppress_series([3, 10, 20])

    assert series.values() == (None, None, 20)
    assert series.total == Cell(33, False)
    assert series.suppressed_count == 2


def test_a_series_whose_other_counts_are_zero_hides_its_total() -> None:
    """``[3, 0, 0]``: the only other non-zero value to hide is the total."""
    series = suppress_series([3, 0, 0])

    assert series.values() == (None, 0, 0)
    assert series.total == Cell(None, True)


def test_a_series_without_total_hides_only_small_counts() -> None:
    """Without a total, large counts are never hidden."""
    series = suppress_series([3, 10, 20], total=False)

    assert series.values() == (None, 10, 20)
    assert series.total is None


# --- input checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "threshold"),
    [
        ([], 5),
        ([[]], 5),
        ([[1, 2], [3]], 5),
        ([[1, -2]], 5),
        ([[1, 2.0]], 5),
        ([[True, 2]], 5),
        ([[1, 2]], 0),
    ],
)
def test_bad_input_is_refused(counts: list[list[int]], threshold: int) -> None:
    """Empty or ragged tables, negative or non-integer counts and thresholds below one
    raise ``ValueError``."""
    with pytest.raises(ValueError):
        suppress_table(counts, threshold=threshold)


def test_a_cell_has_a_value_exactly_when_published() -> None:
    """``Cell`` refuses a hidden value or a published blank."""
    with pytest.raises(ValueError):
        Cell(3, True)
    with pytest.raises(ValueError):
        Cell(None, False)
