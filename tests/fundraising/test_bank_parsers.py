"""Reading bank statements: camt.053 (001.02 and 001.08) and Italian home-banking CSV
exports, credits only, money as Decimal, and hostile or foreign files refused with a
clear message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from fundraising.bank import StatementEntry, is_camt053, parse_statement
from fundraising.bank.camt053 import parse_camt053
from fundraising.bank.csv_statement import _norm, parse_amount, parse_csv_statement, parse_date

DATA = Path(__file__).parent / "data"
D = Decimal


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


# --- camt.053 -----------------------------------------------------------------------------------


def test_camt053_v02_reads_every_credit_and_field():
    """Three single transfers and a batch of two make five credits; the debit is left
    out; references, names, IBANs and remittance (unstructured lines joined, structured
    creditor reference) are read."""
    statement = parse_camt053(read("camt053_v02.xml"))

    assert statement.account_iban == "IT60X0542811101000000123456"
    assert statement.skipped == []
    assert statement.entries == [
        StatementEntry(
            reference="2026100500012345",
            booked_on=dt.date(2026, 10, 5),
            amount=D("150.00"),
            counterparty="ROSSI MARIA",
            counterparty_iban="IT02L1234512345123456789012",
            remittance="DONO-7K2M9Q Campagna Nessuno resta solo",
        ),
        StatementEntry(
            reference="2026100900023456",
            booked_on=dt.date(2026, 10, 9),
            amount=D("80.00"),
            counterparty="Bianchi Giuseppe",
            counterparty_iban="IT27H0306911410100000012345",
            remittance="DONO-3FH8 WX Campagna Doposcuola Casalmaggiore",
        ),
        StatementEntry(
            reference="2026101400034567",
            booked_on=dt.date(2026, 10, 14),
            amount=D("50.00"),
            counterparty="Verdi Anna",
            counterparty_iban="IT45R0760111100000012345678",
            remittance="Erogazione liberale",
        ),
        StatementEntry(
            reference="2026102800056789-1",
            booked_on=dt.date(2026, 10, 28),
            amount=D("1000.00"),
            counterparty="Panificio Ferrari S.r.l.",
            counterparty_iban="IT91C0538711400000002345678",
            remittance="DONO-Q4ZP2N",
        ),
        StatementEntry(
            reference="2026102800056789-2",
            booked_on=dt.date(2026, 10, 28),
            amount=D("70.50"),
            counterparty="Galli Lucia",
            counterparty_iban="IT60X0542811101000000654321",
            remittance="Raccolta mercatino parrocchia San Pietro",
        ),
    ]
    assert all(isinstance(e.amount, Decimal) for e in statement.entries)


def test_camt053_v08_party_and_datetime_and_foreign_currency():
    """Version 8 (Dbtr/Pty/Nm, Sts/Cd, TxDtls/Amt, BookgDt/DtTm): an entry without the
    bank's reference takes the EndToEndId; a credit in dollars is reported as skipped;
    the account IBAN loses its spaces."""
    statement = parse_camt053(read("camt053_v08.xml"))

    assert statement.account_iban == "IT60X0542811101000000123456"
    assert [e.reference for e in statement.entries] == ["2026101400034567", "E2E-COOP-1103"]
    coop = statement.entries[1]
    assert coop.booked_on == dt.date(2026, 11, 3)
    assert coop.amount == D("250.00")
    assert coop.counterparty == "Cooperativa Sociale Il Sentiero"
    assert coop.counterparty_iban == "IT33P0300203280000400162854"
    assert coop.remittance == "dono-8rt5 vb campagna nessuno resta solo"
    assert statement.skipped == ["2026111000077777: 100.00 USD, not in euro"]


def camt(entries: str, version: str = "001.02") -> bytes:
    return f"""<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.{version}"><BkToCstmrStmt>
<GrpHdr><MsgId>M</MsgId><CreDtTm>2026-11-02T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><IBAN>IT60X0542811101000000123456</IBAN></Id></Acct>
{entries}</Stmt></BkToCstmrStmt></Document>""".encode()


def test_camt053_reference_falls_back_to_txid_then_a_stable_digest():
    """Without AcctSvcrRef and with EndToEndId NOTPROVIDED the TxId is the reference;
    with none of them a digest of the entry, the same every time the file is read."""
    data = camt(
        """<Ntry><Amt Ccy="EUR">10</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-10-01</Dt></BookgDt><NtryDtls><TxDtls><Refs>
        <EndToEndId>NOTPROVIDED</EndToEndId><TxId>TX-1</TxId></Refs></TxDtls></NtryDtls></Ntry>
        <Ntry><Amt Ccy="EUR">12.5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-10-02</Dt></BookgDt></Ntry>"""
    )
    first, second = parse_camt053(data).entries
    assert first.reference == "TX-1"
    assert first.amount == D("10.00")
    assert second.reference.startswith("sha256:")
    assert second.amount == D("12.50")
    assert parse_camt053(data).entries[1].reference == second.reference


def test_camt053_pending_and_reversed_credits_are_skipped():
    data = camt(
        """<Ntry><Amt Ccy="EUR">10</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts>
        <BookgDt><Dt>2026-10-01</Dt></BookgDt><AcctSvcrRef>P1</AcctSvcrRef></Ntry>
        <Ntry><Amt Ccy="EUR">10</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd>
        <Sts>BOOK</Sts><BookgDt><Dt>2026-10-01</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef></Ntry>"""
    )
    statement = parse_camt053(data)
    assert statement.entries == []
    assert statement.skipped == ["P1: not booked yet", "R1: a reversal, not a gift"]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<Stmt><Id>&lol9;</Id></Stmt></BkToCstmrStmt></Document>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document><BkToCstmrStmt><Stmt><Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_hostile_xml_is_refused_not_expanded(data):
    """Entity expansion and external entities are refused before anything is read."""
    assert is_camt053(data)
    with pytest.raises(ValidationError) as caught:
        parse_statement(data)
    assert caught.value.code == "xml_forbidden"
    assert "DTD or entities" in caught.value.messages[0]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<Document><BkToCstmrStmt><Stmt><Id>1</Stmt></BkToCstmrStmt>", "xml_invalid"),
        (b"<Document><BkToCstmrStmt></BkToCstmrStmt></Document>", "no_statement"),
        (b"<?xml version='1.0'?><Foo><BkToCstmrStmt/></Foo>", "not_camt053"),
        (b"<?xml version='1.0'?><Document><CstmrCdtTrfInitn/></Document>", "unknown_format"),
    ],
    ids=["broken", "no-stmt", "wrong-root", "pain001"],
)
def test_malformed_or_foreign_xml_is_refused(data, code):
    with pytest.raises(ValidationError) as caught:
        parse_statement(data)
    assert caught.value.code == code


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_cp1252_semicolons_comma_decimals():
    """The sample export (Windows-1252, account details above the header, Entrate and
    Uscite columns): credits only, accents decoded, thousands read, identical rows kept
    apart by their occurrence, and a balance line without a date reported."""
    statement = parse_csv_statement(read("movimenti_cp1252.csv"))

    assert [(e.booked_on, e.amount, e.counterparty) for e in statement.entries] == [
        (dt.date(2026, 10, 5), D("150.00"), "ROSSI MARIA"),
        (dt.date(2026, 10, 9), D("1234.56"), "Società Agricola Né Più Né Meno"),
        (dt.date(2026, 10, 12), D("50.00"), "Verdi Anna"),
        (dt.date(2026, 10, 12), D("50.00"), "Verdi Anna"),
    ]
    assert statement.entries[0].remittance == (
        "BONIFICO A VOSTRO FAVORE DONO-7K2M9Q Campagna Nessuno resta solo"
    )
    assert statement.entries[1].remittance == "Bonifico Caffè Sociale Città di Crema"
    refs = [e.reference for e in statement.entries]
    assert len(set(refs)) == 4
    assert all(r.startswith("csv:") and len(r) <= 120 for r in refs)
    # Stable: the same file gives the same references.
    assert [e.reference for e in parse_csv_statement(read("movimenti_cp1252.csv")).entries] == refs
    assert statement.skipped == ["line 11: no readable date"]


def test_csv_utf8_bom_commas_english_headers_signed_amounts():
    data = (
        "\ufeffDate,Amount,Description,Counterparty,IBAN ordinante\n"
        '2026-10-05,"1,234.56",Gift DONO-1,Mario Neri,IT02 L123 4512 3451 2345 6789 012\n'
        "2026-10-06,-20.00,Bank fee,,\n"
        "2026-10-07,+15.5,Gift,Anna Po,\n"
    ).encode()
    statement = parse_csv_statement(data)
    assert [(e.booked_on, e.amount, e.remittance, e.counterparty) for e in statement.entries] == [
        (dt.date(2026, 10, 5), D("1234.56"), "Gift DONO-1", "Mario Neri"),
        (dt.date(2026, 10, 7), D("15.50"), "Gift", "Anna Po"),
    ]
    assert statement.entries[0].counterparty_iban == "IT02L1234512345123456789012"


def test_csv_signed_importo_capital_headers_and_a_reference_column():
    """Signed "Importo" with debits negative; headers in capitals, one with a currency
    sign; a reference column is used as it is."""
    data = (
        "DATA OPERAZIONE;DATA VALUTA;IMPORTO (€);CAUSALE;DESCRIZIONE;CONTROPARTE;RIFERIMENTO\n"
        "03/11/2026;03/11/2026;+1.000,00;BONIFICO;DONO-ABC Natale;Rossi Mario;CRO-1\n"
        "04/11/2026;04/11/2026;-1.000,00;PAGAMENTO;Affitto;Immobiliare;CRO-2\n"
    ).encode()
    (entry,) = parse_csv_statement(data).entries
    assert entry.reference == "CRO-1"
    assert entry.amount == D("1000.00")
    assert entry.remittance == "BONIFICO DONO-ABC Natale"
    assert entry.counterparty == "Rossi Mario"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.234,56", D("1234.56")),
        ("1234.56", D("1234.56")),
        ("+1234,56", D("1234.56")),
        ("-50,00", D("-50.00")),
        ("€ 1.234.567,8", D("1234567.80")),
        ("1,234.56", D("1234.56")),
        ("1.234", D("1234.00")),
        ("12", D("12.00")),
        ("", None),
        ("abc", None),
        ("1,2345", None),
        ("NaN", None),
    ],
)
def test_amounts(raw, expected):
    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("05/10/2026", dt.date(2026, 10, 5)),
        ("2026-10-05", dt.date(2026, 10, 5)),
        ("05.10.2026", dt.date(2026, 10, 5)),
        ("31/02/2026", None),
        ("domani", None),
    ],
)
def test_dates(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"just some text\nwithout columns\n",
        b"Nome;Cognome\nMaria;Rossi\n",
        b"%PDF-1.7\x00\x00binary",
        b"",
    ],
    ids=["text", "other-csv", "binary", "empty"],
)
def test_a_file_that_is_neither_is_refused(data):
    with pytest.raises(ValidationError) as caught:
        parse_statement(data)
    assert caught.value.code == "unknown_format"
    assert "neither" in caught.value.messages[0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("\ufeffData Contabile", "data contabile"),
        ("DESCRIZIONE  OPERAZIONE", "descrizione operazione"),
        ("Importo (EUR)", "importo"),
        ("Importo in €", "importo"),
        ("Entità", "entita"),
        ("IBAN ordinante:", "iban ordinante"),
    ],
)
def test_headers_are_compared_without_case_accents_or_punctuation(header, expected):
    assert _norm(header) == expected
