"""What every export shares: text cells a spreadsheet shows but never runs, and the
pseudo-buffer that lets ``csv.writer`` feed a streaming response line by line."""

from __future__ import annotations

from typing import Any

# Characters that make a spreadsheet read a cell as a formula (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel needs it to read a CSV file as UTF-8.
BOM = "\ufeff"


def safe_text(value: str) -> str:
    """``value`` as a text a spreadsheet shows and never runs as a formula: one that
    begins like a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def safe_cell(value: Any) -> Any:
    """A cell value for an export: texts made safe (``safe_text``), the rest as is."""
    return safe_text(value) if isinstance(value, str) else value


class Echo:
    """A file-like object whose ``write`` returns what it is given: ``csv.writer``
    over it turns one row into one string, for a StreamingHttpResponse."""

    def write(self, value: str) -> str:
        return value
