"""The report's files: an XLSX workbook with a contents sheet and one sheet per area
(figures as numbers formatted by unit, "<5" for hidden ones, texts that never run as
formulas), a long CSV table for Italian spreadsheets, and an A4 PDF with a chart of
every breakdown's shown values and numbered pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from reports.document import (
    Cell,
    Document,
    Line,
    Section,
    Table,
    build,
    cell_words,
    comparison,
    figure,
    period_words,
    unit_words,
)
from reports.exports import (
    CSV_TYPE,
    MAX_BARS,
    NUMBER_FORMATS,
    PDF_TYPE,
    XLSX_TYPE,
    Heading,
    breakdown_chart,
    chart_values,
    file_name,
    sheet_name,
    write_csv,
    write_pdf,
    write_xlsx,
)
from reports.indicators import AREAS, Scope, Unit, parse_period
from reports.indicators.base import Number
from reports.present import HIDDEN, Shown

GENERATED = dt.datetime(2026, 11, 29, 17, 30, tzinfo=dt.UTC)
CREMA = Heading(ambito="Crema", comune=None, generated_at=GENERATED)
MALICIOUS = '=HYPERLINK("http://evil.example/","click")'


# --- Documents built by hand ---------------------------------------------------------------


def table(
    dimension: str,
    rows: list[tuple[str, Number | None]],
    *,
    unit: Unit = Unit.PEOPLE,
    additive: bool = True,
) -> Table:
    """A breakdown whose rows with ``None`` are hidden."""
    return Table(
        dimension=dimension,
        caption=f"Breakdown by {dimension}",
        heading=dimension.capitalize(),
        unit=unit_words(unit),
        cells=tuple(
            Cell(label, number, "" if number is None else cell_words(number, unit), number is None)
            for label, number in rows
        ),
        chart_labels="[]",
        chart_values="[]",
        some_hidden=any(number is None for _label, number in rows),
        additive=additive,
    )


def line(
    code: str,
    title: str,
    unit: Unit,
    number: Number | None,
    previous: Number | None,
    *,
    hidden: bool = False,
    previous_hidden: bool = False,
    missing: str = "",
    previous_missing: str = "",
    tables: tuple[Table, ...] = (),
) -> Line:
    now, before = Shown(number, hidden), Shown(previous, previous_hidden)
    return Line(
        code=code,
        title=title,
        unit=unit,
        value="" if number is None else figure(number, unit),
        hidden=hidden,
        missing=missing,
        previous="" if previous is None else figure(previous, unit),
        previous_hidden=previous_hidden,
        previous_missing=previous_missing,
        comparison=comparison(now, before, unit),
        tables=tables,
        number=number,
        previous_number=previous,
    )


def sample() -> Document:
    """Two areas: people (a figure with breakdowns, a hidden one) and fundraising
    (euro, share with a missing previous figure, hours) plus a label that looks like
    a formula."""
    period = parse_period("2026")
    people = Section(
        "people",
        "People taken in charge",
        [
            line(
                "people_in_charge",
                "People taken in charge",
                Unit.PEOPLE,
                1234,
                1100,
                tables=(
                    table("sex", [("Women", 700), ("Men", 530), ("Other", None)]),
                    table(
                        "area",
                        [("Housing", 900), (MALICIOUS, 12), ("+39 hotline", 8)],
                        additive=False,
                    ),
                ),
            ),
            line("people_new", "New people", Unit.PEOPLE, None, 12, hidden=True),
        ],
    )
    fundraising = Section(
        "fundraising",
        "Fundraising",
        [
            line(
                "raised",
                "Money raised",
                Unit.EURO,
                Decimal("1234.50"),
                Decimal("1000.00"),
                tables=(
                    table(
                        "channel",
                        [("Bank transfer", Decimal("1000.00")), ("Cash", Decimal("234.50"))],
                        unit=Unit.EURO,
                    ),
                ),
            ),
            line(
                "recurring_share",
                "Share of recurring donors",
                Unit.SHARE,
                Decimal("12.5"),
                None,
                previous_missing="no figure for this period",
            ),
            line("volunteer_hours", "-Volunteer hours", Unit.HOURS, Decimal("10.25"), 8),
        ],
    )
    return Document(Scope(1), period, period.previous(), [people, fundraising])


def rows_of(sheet) -> list[list[object]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def find_row(sheet, first: str):
    """The cells of the first row under the area's title rows whose first cell is
    ``first``."""
    for row in sheet.iter_rows(min_row=5):
        if row[0].value == first:
            return row
    raise AssertionError(f"no row {first!r} in {sheet.title}")


def xlsx(document: Document, heading: Heading = CREMA, language: str = "it"):
    with translation.override(language):
        content = write_xlsx(document, heading)
    return load_workbook(io.BytesIO(content))


def csv_rows(document: Document, heading: Heading = CREMA, language: str = "it"):
    with translation.override(language):
        content = write_csv(document, heading)
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def pdf(document: Document, heading: Heading = CREMA, language: str = "it") -> PdfReader:
    with translation.override(language):
        content = write_pdf(document, heading)
    assert content.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(content))


def pdf_text(reader: PdfReader) -> str:
    """The PDF's words, with every run of spaces and line breaks as one space (the
    layout wraps long texts)."""
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


# --- XLSX --------------------------------------------------------------------------------------


def test_the_workbook_has_a_contents_sheet_then_one_sheet_per_area():
    workbook = xlsx(sample(), language="en")
    assert workbook.sheetnames == ["Report", "People taken in charge", "Fundraising"]
    contents = rows_of(workbook["Report"])
    assert contents[0][0] == "Report: Crema, Year 2026"
    texts = [str(value) for row in contents for value in row if value is not None]
    assert "Year 2026" in texts
    assert "Year 2025" in texts
    assert "From 01/01/2026 to 12/31/2026." in texts
    with translation.override("en"):
        assert ["Generated on", "Nov. 29, 2026, 6:30 p.m.", None] in contents  # Europe/Rome
    assert any("shown as “<5”" in text for text in texts)
    # The list of areas names each area's sheet.
    assert ["People taken in charge", "People taken in charge", 2] in contents
    assert ["Fundraising", "Fundraising", 3] in contents


def test_each_area_sheet_is_titled_with_its_area_place_and_period():
    with translation.override("it"):
        words = period_words(parse_period("2026"))
    sheet = xlsx(sample())["Fundraising"]
    assert words == "Anno 2026"
    assert sheet["A1"].value == "Fundraising"
    assert sheet["A2"].value == "Crema"
    assert sheet["A3"].value == "Anno 2026 · Dal 01/01/2026 al 31/12/2026."
    assert sheet["A1"].font.b
    header = [cell.value for cell in sheet[5]]
    assert header == [
        "Indicatore",
        "Unità",
        "Anno 2026",
        "Periodo precedente (Anno 2025)",
        header[4],
    ]
    assert all(cell.font.b for cell in sheet[5])
    assert sheet.freeze_panes == "A6"


def test_figures_are_numeric_cells_formatted_by_unit():
    workbook = xlsx(sample())
    people = find_row(workbook["People taken in charge"], "People taken in charge")
    assert (people[2].value, people[3].value) == (1234, 1100)
    assert people[2].number_format == people[3].number_format == "#,##0"
    assert "in più" in people[4].value  # the comparison, in words

    sheet = workbook["Fundraising"]
    money = find_row(sheet, "Money raised")
    assert Decimal(str(money[2].value)) == Decimal("1234.50")
    assert money[2].number_format == '#,##0.00 "€"'
    share = find_row(sheet, "Share of recurring donors")
    assert Decimal(str(share[2].value)) == Decimal("12.5")
    assert share[2].number_format == '0.0" %"' == NUMBER_FORMATS[Unit.SHARE]
    hours = find_row(sheet, "'-Volunteer hours")
    assert Decimal(str(hours[2].value)) == Decimal("10.25")
    assert hours[2].number_format == "#,##0.00"
    assert hours[3].value == 8


def test_hidden_figures_are_shown_as_under_five_and_missing_ones_say_why():
    workbook = xlsx(sample(), language="en")
    hidden = find_row(workbook["People taken in charge"], "New people")
    assert hidden[2].value == HIDDEN
    assert hidden[3].value == 12
    assert hidden[4].value is None  # no comparison with a hidden count
    share = find_row(workbook["Fundraising"], "Share of recurring donors")
    assert share[3].value == "no figure for this period"


def test_breakdowns_are_small_tables_below_the_indicators():
    with translation.override("en"):
        document = sample()
    sheet = xlsx(document, language="en")["People taken in charge"]
    rows = rows_of(sheet)
    caption = rows.index(["Breakdown by sex", None, None, None, None])
    assert rows[caption + 1][:3] == ["Sex", "Unit", "Year 2026"]
    assert rows[caption + 2][:3] == ["Women", "people", 700]
    assert rows[caption + 3][:3] == ["Men", "people", 530]
    assert rows[caption + 4][:3] == ["Other", "people", HIDDEN]
    assert sheet.cell(row=caption + 3, column=3).number_format == "#,##0"
    # A breakdown whose rows can overlap says so in its caption.
    assert any(
        str(row[0]).startswith("Breakdown by area (one can count under more") for row in rows
    )


def test_no_text_in_the_workbook_runs_as_a_formula():
    workbook = xlsx(sample())
    texts = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    assert texts
    assert not [c.value for c in texts if c.value.startswith(("=", "+", "-", "@"))]
    assert all(cell.data_type != "f" for cell in texts)
    labels = [cell.value for cell in texts]
    assert "'" + MALICIOUS in labels
    assert "'+39 hotline" in labels


def test_sheet_names_are_valid_short_and_unique():
    used: set[str] = set()
    assert sheet_name("Report", used) == "Report"
    assert sheet_name("report", used) == "report (2)"
    name = sheet_name("Costs [2026]: a/b\\c*d?e", used)
    assert not set(name) & set("[]:*?/\\")
    long = sheet_name("A" * 40, used)
    again = sheet_name("A" * 40, used)
    assert len(long) == len(again) == 31
    assert long != again
    assert sheet_name("'quoted'", used) == "quoted"
    assert sheet_name("History", used) != "History"
    assert sheet_name("***", used) == "Sheet"


def test_area_titles_too_long_or_repeated_still_give_one_sheet_each():
    period = parse_period("2026")
    sections = [
        Section("a", "Wel(l)fare LAB: research/action [2026] with a very long title", []),
        Section("b", "Wel(l)fare LAB: research/action [2026] with a very long title", []),
    ]
    workbook = xlsx(Document(Scope(1), period, period.previous(), sections))
    assert len(workbook.sheetnames) == 3
    assert all(len(name) <= 31 for name in workbook.sheetnames)


# --- CSV ---------------------------------------------------------------------------------------


def test_the_csv_is_a_long_table_for_italian_spreadsheets():
    document = sample()
    rows = csv_rows(document, language="en")
    assert rows[0] == [
        "Ambito",
        "Comune",
        "Period",
        "Previous period",
        "Area",
        "Indicator code",
        "Indicator",
        "Unit",
        "Breakdown",
        "Row",
        "Value",
        "Previous value",
    ]
    headlines = sum(len(section.lines) for section in document.sections)
    breakdown_rows = sum(
        len(t.cells) for section in document.sections for li in section.lines for t in li.tables
    )
    assert len(rows) == 1 + headlines + breakdown_rows == 1 + 5 + 8
    assert all(len(row) == 12 for row in rows)
    by_code = {row[5]: row for row in rows[1:] if row[8] == ""}
    assert by_code["people_in_charge"] == [
        "Crema",
        "",
        "2026",
        "2025",
        "People taken in charge",
        "people_in_charge",
        "People taken in charge",
        "people",
        "",
        "",
        "1234",
        "1100",
    ]
    assert by_code["raised"][10:] == ["1234,50", "1000,00"]
    assert by_code["recurring_share"][10:] == ["12,5", ""]  # missing: empty
    assert by_code["volunteer_hours"][10:] == ["10,25", "8,00"]
    assert by_code["people_new"][10:] == [HIDDEN, "12"]
    assert by_code["volunteer_hours"][6] == "'-Volunteer hours"


def test_breakdown_rows_of_the_csv():
    rows = csv_rows(sample(), language="en")
    sex = [row for row in rows if row[8] == "Sex"]
    assert [(row[9], row[10], row[11]) for row in sex] == [
        ("Women", "700", ""),
        ("Men", "530", ""),
        ("Other", HIDDEN, ""),
    ]
    channel = [row for row in rows if row[8] == "Channel"]
    assert [row[10] for row in channel] == ["1000,00", "234,50"]
    labels = [row[9] for row in rows]
    assert "'" + MALICIOUS in labels
    assert not [text for row in rows for text in row if text.startswith(("=", "+", "-", "@"))]


def test_the_raw_csv_uses_a_bom_semicolons_and_crlf():
    with translation.override("it"):
        content = write_csv(sample(), CREMA)
    text = content.decode("utf-8")
    assert text.startswith("\ufeffAmbito;Comune;")
    assert "\r\n" in text
    assert ";1234,50;1000,00\r\n" in text


# --- PDF ---------------------------------------------------------------------------------------


def test_the_pdf_has_the_title_period_and_figures_in_italian():
    reader = pdf(sample())
    text = pdf_text(reader)
    assert "Anno 2026" in text
    assert "Dal 01/01/2026 al 31/12/2026." in text
    assert "Indicatori del piano di zona per l'ambito Crema." in text
    assert "1.234 persone" in text
    assert "€ 1.234,50" in text
    assert "12,5 %" in text
    assert "Periodo precedente (Anno 2025)" in text
    assert HIDDEN in text
    assert "Pagina 1 di" in text
    # The figures of the breakdowns, and the line for the values left out of the chart.
    assert "I valori indicati come «<5» non sono rappresentati nel grafico." in text
    metadata = reader.metadata
    assert metadata is not None
    assert metadata.title == "Report: Crema, Anno 2026"
    assert metadata.author == "Crema"


def test_the_pdf_words_of_its_own_are_translatable():
    text = pdf_text(pdf(sample(), language="en"))
    assert "Report: Crema, Year 2026" in text
    assert "Generated on " in text
    assert "Page 1 of 1" in text or "Page 1 of 2" in text
    assert "Comparison" in text
    assert "no figure for this period" in text


def test_a_chart_plots_the_shown_values_only():
    breakdown = table("sex", [("Women", 700), ("Men", 530), ("Other", None)])
    assert chart_values(breakdown) == [("Women", 700.0), ("Men", 530.0)]
    drawing = breakdown_chart(breakdown, Unit.PEOPLE)
    assert drawing is not None
    chart = drawing.contents[0]
    assert chart.data == [(700.0, 530.0)]
    assert chart.categoryAxis.categoryNames == ["Women", "Men"]
    assert chart.categoryAxis.reverseDirection  # the table's first row at the top
    assert chart.barLabelFormat(1234.5) == "1.235"
    money = breakdown_chart(table("c", [("a", Decimal("1234.5"))], unit=Unit.EURO), Unit.EURO)
    assert money is not None
    assert money.contents[0].barLabelFormat(1234.5) == "1.234,50"


def test_no_chart_when_every_value_is_hidden():
    assert breakdown_chart(table("sex", [("Women", None), ("Men", None)]), Unit.PEOPLE) is None


def test_a_chart_of_many_rows_plots_the_largest_in_their_order():
    breakdown = table("comune", [(f"row-{n}", n % 50) for n in range(120)])
    values = chart_values(breakdown)
    assert len(values) == MAX_BARS
    largest = sorted((float(n % 50) for n in range(120)), reverse=True)[:MAX_BARS]
    assert sorted((value for _label, value in values), reverse=True) == largest
    labels = [label for label, _value in values]
    assert labels == sorted(labels, key=lambda label: int(label.split("-")[1]))
    drawing = breakdown_chart(breakdown, Unit.PEOPLE)
    assert drawing is not None
    assert len(drawing.contents[0].data[0]) == MAX_BARS


def test_long_labels_and_hundreds_of_rows_go_over_several_pages():
    period = parse_period("2026-Q1")
    rows = [(f"row-{n} " + "a very long label of a comune " * 6, n) for n in range(300)]
    rows[7] = (rows[7][0], None)
    long_title = "An indicator with a title long enough to wrap " * 4
    document = Document(
        Scope(1),
        period,
        period.previous(),
        [
            Section(
                "labs",
                "Community labs",
                [
                    line(
                        "participants",
                        long_title,
                        Unit.PEOPLE,
                        sum(range(300)),
                        None,
                        previous_missing="no figure for this period",
                        tables=(table("comune", rows),),
                    )
                ],
            )
        ],
    )
    reader = pdf(document, language="en")
    assert len(reader.pages) > 3
    text = pdf_text(reader)
    assert "row-0 " in text
    assert "row-299 " in text
    assert "The chart shows the 40 largest of 299 values." in text
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in text
    # The table's header is repeated on the pages it runs over.
    assert text.count("Comune") >= len(reader.pages) - 1
    workbook = xlsx(document)
    assert workbook["Community labs"].max_row > 300


def test_a_comunes_report():
    heading = Heading(ambito="Crema", comune="Bagnolo Cremasco", generated_at=GENERATED)
    document = sample()
    contents = rows_of(xlsx(document, heading)["Report"])
    assert ["Comune", "Bagnolo Cremasco", None] in contents
    assert xlsx(document, heading)["People taken in charge"]["A2"].value == (
        "Crema · Bagnolo Cremasco"
    )
    rows = csv_rows(document, heading)
    assert {tuple(row[:2]) for row in rows[1:]} == {("Crema", "Bagnolo Cremasco")}
    text = pdf_text(pdf(document, heading))
    assert "Indicatori del piano di zona per il comune di Bagnolo Cremasco (Crema)." in text
    with translation.override("en"):
        assert file_name(heading, document, "pdf") == "report-crema-bagnolo-cremasco-2026.pdf"


def test_file_names_are_ascii_slugs():
    heading = Heading(ambito="Città di Crema – Nord", comune=None, generated_at=GENERATED)
    period = parse_period("2026-Q2")
    document = Document(Scope(1), period, period.previous(), [])
    with translation.override("en"):
        name = file_name(heading, document, "xlsx")
        assert file_name(CREMA, sample(), "csv") == "report-crema-2026.csv"
    assert name == "report-citta-di-crema-nord-2026-q2.xlsx"
    assert name.isascii()
    assert '"' not in name and "/" not in name
    very_long = Heading(ambito="Ambito " * 40, comune="Comune " * 40, generated_at=GENERATED)
    long_name = file_name(very_long, document, "xlsx")
    assert len(long_name) <= 105
    assert long_name.endswith(".xlsx")


def test_content_types():
    assert XLSX_TYPE == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert CSV_TYPE.startswith("text/csv")
    assert PDF_TYPE == "application/pdf"


# --- A real report ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_files_of_a_real_report_of_an_empty_ambito():
    from tests.legami.factories import AmbitoFactory

    ambito = AmbitoFactory(name="Ambito di Prova")
    heading = Heading(ambito=ambito.name, comune=None, generated_at=GENERATED)
    with translation.override("it"):
        document = build(Scope(ambito.pk), parse_period("2026"))
    assert len(document.sections) == len(AREAS)

    workbook = xlsx(document, heading)
    assert len(workbook.sheetnames) == 1 + len(AREAS)
    with translation.override("it"):
        titles = [str(title) for title in AREAS.values()]
    assert workbook.sheetnames[1:] == [sheet_name(title, set()) for title in titles]

    rows = csv_rows(document, heading)
    headlines = sum(len(section.lines) for section in document.sections)
    breakdown_rows = sum(
        len(t.cells) for section in document.sections for li in section.lines for t in li.tables
    )
    assert len(rows) == 1 + headlines + breakdown_rows

    text = pdf_text(pdf(document, heading))
    assert "Anno 2026" in text
    assert "Ambito di Prova" in text
