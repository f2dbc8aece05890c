"""Texts in every export are shown by a spreadsheet, never run as formulas; the access
log's CSV, whose fields carry what users typed (purposes, record ids), included."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from legami.exports import FORMULA_START, safe_cell, safe_text


@pytest.mark.parametrize("start", FORMULA_START)
def test_a_text_that_starts_like_a_formula_gets_an_apostrophe(start):
    assert safe_text(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"


@given(st.text())
def test_other_texts_and_non_texts_are_left_alone(text):
    expected = "'" + text if text.startswith(FORMULA_START) else text
    assert safe_text(text) == expected
    assert safe_cell(12) == 12 and safe_cell(None) is None
