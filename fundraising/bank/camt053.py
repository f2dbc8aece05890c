"""ISO 20022 camt.053 (BankToCustomerStatement), versions 001.02 and later, read by the
local names of its elements so that every version's namespace works. The XML is parsed
with defusedxml: no DTD, no entity expansion, no external resources."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fundraising.bank import Statement, StatementEntry

CENT = Decimal("0.01")
# An EndToEndId that says nothing (SEPA's placeholder).
_NO_REFERENCE = {"", "NOTPROVIDED", "NOT PROVIDED"}


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element | None, name: str) -> Iterator[Element]:
    if element is None:
        return
    for child in element:
        if _local(child.tag) == name:
            yield child


def _find(element: Element | None, path: str) -> Element | None:
    """The first element along ``path`` ("A/B/C", local names)."""
    current = [element] if element is not None else []
    for name in path.split("/"):
        current = [child for parent in current for child in _children(parent, name)]
        if not current:
            return None
    return current[0]


def _findall(element: Element | None, path: str) -> list[Element]:
    current = [element] if element is not None else []
    for name in path.split("/"):
        current = [child for parent in current for child in _children(parent, name)]
    return current


def _text(element: Element | None, path: str) -> str:
    found = _find(element, path)
    return " ".join((found.text or "").split()) if found is not None else ""


def _date(entry: Element) -> dt.date | None:
    raw = _text(entry, "BookgDt/Dt") or _text(entry, "BookgDt/DtTm")
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        return None


def _amount(element: Element | None) -> tuple[Decimal | None, str]:
    """The amount of an ``Amt`` element and its currency."""
    if element is None:
        return None, ""
    try:
        value = Decimal((element.text or "").strip())
    except InvalidOperation:
        return None, element.get("Ccy", "")
    if not value.is_finite():
        return None, element.get("Ccy", "")
    return value.quantize(CENT), element.get("Ccy", "")


def _party(tx: Element | None) -> tuple[str, str]:
    """The debtor's name (``Dbtr/Nm`` up to v7, ``Dbtr/Pty/Nm`` from v8) and IBAN."""
    name = _text(tx, "RltdPties/Dbtr/Nm") or _text(tx, "RltdPties/Dbtr/Pty/Nm")
    iban = _text(tx, "RltdPties/DbtrAcct/Id/IBAN").replace(" ", "").upper()
    return name, iban


def _remittance(tx: Element | None) -> str:
    parts = [" ".join((u.text or "").split()) for u in _findall(tx, "RmtInf/Ustrd")]
    parts += [" ".join((r.text or "").split()) for r in _findall(tx, "RmtInf/Strd/CdtrRefInf/Ref")]
    return " ".join(p for p in parts if p)


def _tx_reference(tx: Element) -> str:
    for path in ("Refs/AcctSvcrRef", "Refs/EndToEndId", "Refs/TxId"):
        value = _text(tx, path)
        if value.upper() not in _NO_REFERENCE:
            return value
    return ""


def _digest(*parts: object) -> str:
    return "sha256:" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:56]


def _status_booked(entry: Element) -> bool:
    status = _text(entry, "Sts") or _text(entry, "Sts/Cd")
    return status in ("", "BOOK")


def parse_camt053(data: bytes) -> Statement:
    """The EUR credits of a camt.053 file, one per transaction (a batch entry with
    several ``TxDtls`` gives several); debits are left out, credits in another currency
    or unreadable are listed in ``skipped``."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ValidationError(
            _(
                "The statement file declares a DTD or entities, which bank statements never "
                "do: it was refused."
            ),
            code="xml_forbidden",
        ) from exc
    except (ParseError, ValueError) as exc:
        raise ValidationError(
            _("The statement file is not well-formed XML."), code="xml_invalid"
        ) from exc
    statement_el = _find(root, "BkToCstmrStmt")
    if _local(root.tag) != "Document" or statement_el is None:
        raise ValidationError(
            _("The XML file is not an ISO 20022 camt.053 bank statement."), code="not_camt053"
        )
    statement = Statement()
    stmts = list(_children(statement_el, "Stmt"))
    if not stmts:
        raise ValidationError(_("The camt.053 file contains no statement."), code="no_statement")
    statement.account_iban = _text(stmts[0], "Acct/Id/IBAN").replace(" ", "").upper()
    for stmt in stmts:
        for index, entry in enumerate(_children(stmt, "Ntry")):
            _read_entry(statement, _text(stmt, "Id"), index, entry)
    return statement


def _read_entry(statement: Statement, stmt_id: str, index: int, entry: Element) -> None:
    if _text(entry, "CdtDbtInd") != "CRDT":
        return
    label = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef") or f"{stmt_id}#{index + 1}"
    if _text(entry, "RvslInd").lower() == "true":
        statement.skipped.append(_("%(ref)s: a reversal, not a gift") % {"ref": label})
        return
    if not _status_booked(entry):
        statement.skipped.append(_("%(ref)s: not booked yet") % {"ref": label})
        return
    booked_on = _date(entry)
    amount, currency = _amount(_find(entry, "Amt"))
    if booked_on is None or amount is None:
        statement.skipped.append(_("%(ref)s: no readable date or amount") % {"ref": label})
        return
    if currency != "EUR":
        statement.skipped.append(
            _("%(ref)s: %(amount)s %(currency)s, not in euro")
            % {"ref": label, "amount": amount, "currency": currency or "?"}
        )
        return
    transactions = _findall(entry, "NtryDtls/TxDtls")
    entry_ref = _text(entry, "AcctSvcrRef")
    if len(transactions) <= 1:
        tx = transactions[0] if transactions else None
        name, iban = _party(tx)
        remittance = _remittance(tx)
        reference = (
            entry_ref
            or (_tx_reference(tx) if tx is not None else "")
            or _digest(stmt_id, index, booked_on, amount, name, remittance)
        )
        _add(statement, reference, booked_on, amount, name, iban, remittance)
        return
    # A batch: one entry per transaction, each with its own amount.
    for position, tx in enumerate(transactions, start=1):
        amount_el = _find(tx, "Amt")  # v3+; v2 has AmtDtls/TxAmt/Amt
        if amount_el is None:
            amount_el = _find(tx, "AmtDtls/TxAmt/Amt")
        tx_amount, tx_currency = _amount(amount_el)
        tx_label = f"{label}/{position}"
        if tx_amount is None:
            statement.skipped.append(_("%(ref)s: no readable amount") % {"ref": tx_label})
            continue
        if tx_currency != "EUR":
            statement.skipped.append(
                _("%(ref)s: %(amount)s %(currency)s, not in euro")
                % {"ref": tx_label, "amount": tx_amount, "currency": tx_currency or "?"}
            )
            continue
        name, iban = _party(tx)
        remittance = _remittance(tx)
        reference = _tx_reference(tx) or (
            f"{entry_ref}/{position}"
            if entry_ref
            else _digest(stmt_id, index, position, booked_on, tx_amount, name, remittance)
        )
        _add(statement, reference, booked_on, tx_amount, name, iban, remittance)


def _add(
    statement: Statement,
    reference: str,
    booked_on: dt.date,
    amount: Decimal,
    name: str,
    iban: str,
    remittance: str,
) -> None:
    if amount <= 0:
        statement.skipped.append(_("%(ref)s: not a positive amount") % {"ref": reference})
        return
    statement.entries.append(
        StatementEntry(
            reference=reference[:120],
            booked_on=booked_on,
            amount=amount,
            counterparty=name[:200],
            counterparty_iban=iban[:34],
            remittance=remittance[:500],
        )
    )
