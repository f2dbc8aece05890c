"""Bank statements read into plain values, without touching the database: ISO 20022
camt.053 (``camt053``) and the CSV exports of Italian home banking (``csv_statement``).
Only incoming credits are kept; what cannot be used (debits aside) is counted as
skipped, with the reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class StatementEntry:
    """One incoming credit."""

    reference: str
    booked_on: dt.date
    amount: Decimal
    counterparty: str = ""
    counterparty_iban: str = ""
    remittance: str = ""


@dataclass
class Statement:
    """The credits of a statement file, and the ones left out (not in euro, unreadable)."""

    account_iban: str = ""
    entries: list[StatementEntry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def is_camt053(data: bytes) -> bool:
    """Whether ``data`` looks like a camt.053 document (its root ``Document`` holding a
    ``BkToCstmrStmt``), judged on the first bytes without parsing."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"BkToCstmrStmt" in data[:8192]


def parse_statement(data: bytes) -> tuple[str, Statement]:
    """Read a statement of either kind; returns its format ("camt053" or "csv") and it."""
    from fundraising.bank.camt053 import parse_camt053
    from fundraising.bank.csv_statement import parse_csv_statement

    if is_camt053(data):
        return "camt053", parse_camt053(data)
    return "csv", parse_csv_statement(data)


__all__ = ["Statement", "StatementEntry", "is_camt053", "parse_statement"]
