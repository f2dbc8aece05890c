"""A piano di zona report (``reports.document.Document``) as files to take away: an
XLSX workbook, a CSV table and a PDF, in the active language (the caller activates it,
e.g. ``translation.override("it")``). Figures arrive already suppressed (``<5``) by
``reports.document``; these functions only lay them out.

* **XLSX** (openpyxl). A first sheet ("Report") with the title, the place, the period
  and the previous period in words with their dates, when the file was generated, the
  note on hidden counts and the list of areas (with the name of each area's sheet).
  Then one sheet per area: three title rows (area; ambito · comune; period with its
  dates), then the table Indicator | Unit | <period> | <previous period> | Comparison
  (bold header, frozen), then each breakdown as a small table below it (caption row,
  then <dimension> | Unit | <period>), values in the same column as the headlines.
  Figures are numeric cells with a number format by unit (``NUMBER_FORMATS``): people
  and counts ``#,##0``, hours ``#,##0.00``, euro ``#,##0.00 "€"``; a share is stored as
  the percentage itself (12.5 for 12,5 %, as ``Unit.SHARE`` computes it) with the
  format ``0.0" %"``, never as a fraction. A hidden figure is the text "<5", a missing
  one the text saying why. No formulas, no merged cells; every text goes through
  ``safe_text`` so that a label never runs as a formula.
* **CSV**. A clean long table, one row per figure, with a header row and no free text:
  Ambito; Comune; Period; Previous period (codes: 2026, 2026-Q1…); Area; Indicator
  code; Indicator; Unit; Breakdown (empty for the headline); Row (empty for the
  headline); Value; Previous value (empty on breakdown rows: the report compares only
  headlines). UTF-8 with a BOM, ``;`` between fields, a decimal comma without thousands
  separators, "<5" for a hidden figure and an empty field for a missing one.
* **PDF** (reportlab, A4, DejaVu Sans for €, accents and “”). A title block and the note
  on hidden counts; per area a heading (also a PDF bookmark) and the table of its
  indicators (figure, previous figure, comparison); for each breakdown a horizontal bar
  chart of the values that are shown (hidden ones are left out, and a line says so) and
  its table. Tables split across pages repeating their header; "Page X of Y" in the
  footer; the title, author (the ambito) and subject (the period) in the metadata.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext, pgettext

from legami.exports import BOM, safe_text
from legami.pdf import pdf_fonts
from reports.document import (
    Document,
    Section,
    Table,
    italian,
    period_words,
    rounding_note,
    unit_words,
)
from reports.indicators.base import Number, Period, Unit
from reports.present import hidden_mark

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet
    from reportlab.graphics.shapes import Drawing

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
PDF_TYPE = "application/pdf"

CSV_DELIMITER = ";"
NUMBER_FORMATS = {
    Unit.PEOPLE: "#,##0",
    Unit.COUNT: "#,##0",
    Unit.HOURS: "#,##0.00",
    Unit.EURO: '#,##0.00 "€"',
    Unit.SHARE: '0.0" %"',  # the percentage itself (12.5), not a fraction
}
PLACES = {Unit.PEOPLE: 0, Unit.COUNT: 0, Unit.HOURS: 2, Unit.EURO: 2, Unit.SHARE: 1}

# A chart with more bars than this would not fit a page: it shows the largest values.
MAX_BARS = 40
BAR_HEIGHT = 12


@dataclass(frozen=True)
class Heading:
    """What the report is of, in words: the ambito's name, the comune's for a comune's
    report, and when the file was made (aware)."""

    ambito: str
    comune: str | None
    generated_at: datetime


# --- Words shared by the three files --------------------------------------------------------


def _place(heading: Heading) -> str:
    return f"{heading.ambito} · {heading.comune}" if heading.comune else heading.ambito


def _title(document: Document, heading: Heading) -> str:
    return gettext("Report: %(ambito)s, %(period)s") % {
        "ambito": _place(heading),
        "period": period_words(document.period),
    }


def _lead(heading: Heading) -> str:
    if heading.comune:
        return gettext("Piano di zona indicators for the comune of %(comune)s (%(ambito)s).") % {
            "comune": heading.comune,
            "ambito": heading.ambito,
        }
    return gettext("Piano di zona indicators for the ambito %(ambito)s.") % {
        "ambito": heading.ambito
    }


def _dates(period: Period) -> str:
    return gettext("From %(start)s to %(end)s.") % {
        "start": formats.date_format(period.start, "SHORT_DATE_FORMAT"),
        "end": formats.date_format(period.end, "SHORT_DATE_FORMAT"),
    }


def _period_line(period: Period) -> str:
    return f"{period_words(period)} · {_dates(period)}"


def _previous_heading(document: Document) -> str:
    return gettext("Previous period (%(period)s)") % {"period": period_words(document.previous)}


def _moment(heading: Heading) -> str:
    return formats.date_format(timezone.localtime(heading.generated_at), "DATETIME_FORMAT")


def _generated(heading: Heading) -> str:
    return gettext("Generated on %(moment)s") % {"moment": _moment(heading)}


def _note(document: Document) -> str:
    # The very sentences of the report's page (their msgids are the template's).
    note = html.unescape(
        gettext(
            "Counts of people from 1 to 4 are shown as “&lt;5”, and so are the counts that, "
            "with a total, would let a reader work them out: a small group must not be "
            "recognisable. No comparison is made with a hidden count."
        )
    )
    if document.people_rounded_to > 1:
        note += " " + rounding_note(document.people_rounded_to)
    return note


def _not_additive() -> str:
    return gettext(
        "(one can count under more than one heading: the rows do not add up to the total)"
    )


def _caption(table: Table) -> str:
    return table.caption if table.additive else f"{table.caption} {_not_additive()}"


def _plain(number: Number, unit: Unit) -> str:
    """``number`` for a CSV field: a decimal comma, no thousands separators."""
    places = PLACES[unit]
    quantized = Decimal(number).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{quantized:f}".replace(".", ",")


def file_name(heading: Heading, document: Document, extension: str) -> str:
    """The file's name, ASCII only (safe in a Content-Disposition header): the word for
    report, the ambito, the comune and the period, e.g. ``relazione-crema-2026.xlsx``; at
    most 100 characters before the extension."""
    parts = [
        pgettext("file name", "report"),
        heading.ambito,
        heading.comune or "",
        document.period.code,
    ]
    stem = "-".join(slug for slug in (slugify(part) for part in parts) if slug)[:100]
    return f"{stem.strip('-') or 'report'}.{slugify(extension) or 'bin'}"


# --- XLSX ---------------------------------------------------------------------------------------

_SHEET_FORBIDDEN = "[]:*?/\\"


def sheet_name(title: str, used: set[str]) -> str:
    """``title`` as a sheet name that Excel and LibreOffice accept: none of ``[]:*?/\\``,
    no apostrophe at either end, at most 31 characters, unique (ignoring case) among
    ``used`` (to which it is added)."""
    for char in _SHEET_FORBIDDEN:
        title = title.replace(char, " ")
    base = " ".join(title.split()).strip("'").strip()[:31].strip() or "Sheet"
    if base.lower() == "history":  # reserved by Excel
        base = f"{base} 1"
    name, number = base, 1
    while name.lower() in used:
        number += 1
        suffix = f" ({number})"
        name = base[: 31 - len(suffix)].rstrip() + suffix
    used.add(name.lower())
    return name


def _xlsx_figure(
    number: Number | None, hidden: bool, missing: str, unit: Unit
) -> Number | str | None:
    if hidden:
        return hidden_mark(unit)
    if number is not None:
        return number
    return safe_text(missing) if missing else None


def write_xlsx(document: Document, heading: Heading) -> bytes:
    """The report as a workbook: a contents sheet, then one sheet per area."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    bold = Font(bold=True)
    big = Font(bold=True, size=14)
    header_fill = PatternFill("solid", fgColor="DDE6EE")

    workbook = Workbook()
    for blank in list(workbook.worksheets):
        workbook.remove(blank)
    used: set[str] = set()
    contents = workbook.create_sheet(sheet_name(gettext("Report"), used))
    names = [sheet_name(section.title, used) for section in document.sections]

    contents.append([safe_text(_title(document, heading))])
    contents["A1"].font = big
    contents.append([safe_text(_lead(heading))])
    contents.append([])
    facts: list[list[str]] = [[gettext("Ambito"), heading.ambito]]
    if heading.comune:
        facts.append([gettext("Comune"), heading.comune])
    facts += [
        [gettext("Period"), period_words(document.period), _dates(document.period)],
        [gettext("Previous period"), period_words(document.previous), _dates(document.previous)],
        [gettext("Generated on"), _moment(heading)],
    ]
    for fact in facts:
        contents.append([safe_text(text) for text in fact])
        contents.cell(row=contents.max_row, column=1).font = bold
    contents.append([])
    contents.append([safe_text(_note(document))])
    contents.append([])
    contents.append([gettext("Areas"), gettext("Sheet"), gettext("Indicators")])
    for cell in contents[contents.max_row]:
        cell.font = bold
        cell.fill = header_fill
    for section, name in zip(document.sections, names, strict=True):
        contents.append([safe_text(section.title), safe_text(name), len(section.lines)])
    contents.column_dimensions["A"].width = 34
    contents.column_dimensions["B"].width = 34
    contents.column_dimensions["C"].width = 34

    for section, name in zip(document.sections, names, strict=True):
        _xlsx_area(workbook.create_sheet(name), document, heading, section)

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_area(sheet: Worksheet, document: Document, heading: Heading, section: Section) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    muted = Font(italic=True, color="666666")
    header_fill = PatternFill("solid", fgColor="DDE6EE")
    wrap = Alignment(wrap_text=True, vertical="top")
    right = Alignment(horizontal="right", vertical="top")

    sheet.append([safe_text(section.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([safe_text(_place(heading))])
    sheet.append([safe_text(_period_line(document.period))])
    sheet.append([])

    def header(texts: list[str]) -> None:
        sheet.append([safe_text(text) for text in texts])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
            cell.fill = header_fill
            cell.alignment = wrap

    def figure_cell(column: int, value: Any, unit: Unit) -> None:
        cell = sheet.cell(row=sheet.max_row, column=column)
        if isinstance(value, int | Decimal):
            cell.number_format = NUMBER_FORMATS[unit]
        elif value == hidden_mark(unit):
            cell.alignment = right
        elif value:
            cell.font = muted
            cell.alignment = wrap

    header(
        [
            gettext("Indicator"),
            gettext("Unit"),
            period_words(document.period),
            _previous_heading(document),
            gettext("Comparison"),
        ]
    )
    header_row = sheet.max_row
    for line in section.lines:
        now = _xlsx_figure(line.number, line.hidden, line.missing, line.unit)
        before = _xlsx_figure(
            line.previous_number, line.previous_hidden, line.previous_missing, line.unit
        )
        sheet.append(
            [
                safe_text(line.title),
                safe_text(unit_words(line.unit)),
                now,
                before,
                safe_text(line.comparison) if line.comparison else None,
            ]
        )
        figure_cell(3, now, line.unit)
        figure_cell(4, before, line.unit)
        sheet.cell(row=sheet.max_row, column=1).alignment = wrap
        sheet.cell(row=sheet.max_row, column=5).alignment = wrap

    for line in section.lines:
        for table in line.tables:
            sheet.append([])
            sheet.append([safe_text(_caption(table))])
            sheet.cell(row=sheet.max_row, column=1).font = bold
            header([table.heading, gettext("Unit"), period_words(document.period)])
            for cell in table.cells:
                value = _xlsx_figure(cell.number, cell.hidden, "", line.unit)
                sheet.append([safe_text(cell.label), safe_text(table.unit), value])
                figure_cell(3, value, line.unit)
                sheet.cell(row=sheet.max_row, column=1).alignment = wrap

    for letter, width in zip("ABCDE", (60, 12, 20, 24, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


# --- CSV ----------------------------------------------------------------------------------------


def _csv_figure(number: Number | None, hidden: bool, unit: Unit) -> str:
    if hidden:
        return hidden_mark(unit)
    return "" if number is None else _plain(number, unit)


def csv_rows(document: Document, heading: Heading) -> list[list[str]]:
    """The CSV's rows, header first: one row per headline and per breakdown row."""
    rows = [
        [
            gettext("Ambito"),
            gettext("Comune"),
            gettext("Period"),
            gettext("Previous period"),
            gettext("Area"),
            gettext("Indicator code"),
            gettext("Indicator"),
            gettext("Unit"),
            gettext("Breakdown"),
            gettext("Row"),
            gettext("Value"),
            gettext("Previous value"),
        ]
    ]
    where = [heading.ambito, heading.comune or "", document.period.code, document.previous.code]
    for section in document.sections:
        for line in section.lines:
            first = [*where, section.title, line.code, line.title, unit_words(line.unit)]
            rows.append(
                [
                    *first,
                    "",
                    "",
                    _csv_figure(line.number, line.hidden, line.unit),
                    _csv_figure(line.previous_number, line.previous_hidden, line.unit),
                ]
            )
            for table in line.tables:
                for cell in table.cells:
                    rows.append(
                        [
                            *first,
                            table.heading,
                            cell.label,
                            _csv_figure(cell.number, cell.hidden, line.unit),
                            "",
                        ]
                    )
    return [[safe_text(text) for text in row] for row in rows]


def write_csv(document: Document, heading: Heading) -> bytes:
    """The report as a long CSV table (UTF-8 with a BOM, ``;``, decimal comma)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER)
    writer.writerows(csv_rows(document, heading))
    return (BOM + out.getvalue()).encode("utf-8")


# --- PDF ----------------------------------------------------------------------------------------


def _axis_number(value: float) -> str:
    return italian(value, 0) if float(value).is_integer() else italian(value, 2).rstrip("0")


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut (with "…") to fit ``width`` points."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def chart_values(table: Table) -> list[tuple[str, float]]:
    """The (label, value) pairs a breakdown's chart plots: the shown values only, at most
    ``MAX_BARS`` of them (the largest, in the table's order)."""
    shown = [
        (index, cell.label, float(cell.number))
        for index, cell in enumerate(table.cells)
        if not cell.hidden and cell.number is not None
    ]
    if len(shown) > MAX_BARS:
        largest = sorted(shown, key=lambda item: (-item[2], item[0]))[:MAX_BARS]
        shown = sorted(largest)
    return [(label, value) for _index, label, value in shown]


def breakdown_chart(
    table: Table, unit: Unit, *, width: float = 480.0, font: str = "Helvetica"
) -> Drawing | None:
    """A horizontal bar chart of ``table``'s shown values (``chart_values``), first row
    at the top, each bar labelled with its figure; None when no value is shown, or when
    every value shown is zero (nothing to compare: the table says it)."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    values = chart_values(table)
    if not any(value for _label, value in values):
        return None
    size = 7
    label_width = width * 0.36
    plot_height = BAR_HEIGHT * len(values)
    drawing = Drawing(width, plot_height + 24)
    chart = HorizontalBarChart()
    chart.x = label_width
    chart.y = 16
    chart.width = width - label_width - 56  # room for the bar labels
    chart.height = plot_height
    chart.data = [tuple(value for _label, value in values)]
    chart.bars[0].fillColor = colors.HexColor("#2F6F9F")
    chart.bars.strokeColor = None
    chart.barSpacing = 1
    chart.groupSpacing = 3

    axis = chart.categoryAxis
    axis.categoryNames = [_fit(label, font, size, label_width - 8) for label, _value in values]
    axis.reverseDirection = 1
    axis.labels.fontName = font
    axis.labels.fontSize = size
    axis.labels.boxAnchor = "e"
    axis.labels.dx = -4

    low = min(0.0, *(value for _label, value in values))
    high = max(value for _label, value in values)
    chart.valueAxis.valueMin = low
    if high <= low:
        chart.valueAxis.valueMax = low + 1
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = size
    chart.valueAxis.labelTextFormat = _axis_number

    places = PLACES[unit]
    bar_label: Callable[[float], str] = lambda value: italian(value, places)  # noqa: E731
    chart.barLabelFormat = bar_label
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = size
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart, name="chart")
    return drawing


def _footer_canvas(font: str, left: str) -> type:
    """A canvas that writes ``left`` and "Page X of Y" at the foot of every page (it
    keeps the pages until the end, when their number is known)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    class FooterCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for number, state in enumerate(self._saved, start=1):
                self.__dict__.update(state)
                self.setFont(font, 8)
                self.setFillGray(0.35)
                self.drawString(18 * mm, 10 * mm, _fit(left, font, 8, 120 * mm))
                self.drawRightString(
                    A4[0] - 18 * mm,
                    10 * mm,
                    gettext("Page %(page)s of %(pages)s") % {"page": number, "pages": total},
                )
                super().showPage()
            super().save()

    return FooterCanvas


def write_pdf(document: Document, heading: Heading) -> bytes:
    """The report as an A4 PDF: title block, note, then area by area its indicators and
    each breakdown's chart and table."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        CondPageBreak,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import Table as PdfTable

    font, bold = pdf_fonts()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=11.5)
    strong = ParagraphStyle("strong", parent=body, fontName=bold)
    muted = ParagraphStyle("muted", parent=body, textColor=colors.HexColor("#555555"))
    figure_style = ParagraphStyle("figure", parent=body, alignment=2)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, spaceAfter=4)
    title_style = ParagraphStyle("title", parent=body, fontName=bold, fontSize=16, leading=20)
    area_style = ParagraphStyle(
        "area",
        parent=body,
        fontName=bold,
        fontSize=13,
        leading=16,
        spaceBefore=10,
        spaceAfter=6,
        keepWithNext=1,
    )
    line_style = ParagraphStyle(
        "line", parent=strong, fontSize=10, leading=13, spaceBefore=8, spaceAfter=3, keepWithNext=1
    )
    width = A4[0] - 36 * mm

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def figure_para(text: str, hidden: bool, missing: str, unit: Unit) -> Paragraph:
        if hidden:
            return para(hidden_mark(unit), figure_style)
        return para(text, figure_style) if text else para(missing, muted)

    def grid(rows: list[list[Any]], widths: list[float]) -> PdfTable:
        table = PdfTable(rows, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE6EE")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return table

    title = _title(document, heading)
    story: list[Any] = [
        para(title, title_style),
        Spacer(1, 3 * mm),
        para(_lead(heading)),
        para(_period_line(document.period)),
        para(_generated(heading), muted),
        Spacer(1, 3 * mm),
        para(_note(document), small),
    ]
    period, previous = period_words(document.period), _previous_heading(document)
    for number, section in enumerate(document.sections):
        story.append(CondPageBreak(50 * mm))
        area = para(section.title, area_style)
        area._bookmark = f"area-{number}"
        story.append(area)
        if not section.lines:
            continue
        rows: list[list[Any]] = [
            [
                para(gettext("Indicator"), strong),
                para(period, strong),
                para(previous, strong),
                para(gettext("Comparison"), strong),
            ]
        ]
        rows += [
            [
                para(line.title),
                figure_para(line.value, line.hidden, line.missing, line.unit),
                figure_para(line.previous, line.previous_hidden, line.previous_missing, line.unit),
                para(line.comparison, muted),
            ]
            for line in section.lines
        ]
        story.append(grid(rows, [width * 0.34, width * 0.18, width * 0.21, width * 0.27]))
        for line in section.lines:
            if line.tables:
                story.append(para(line.title, line_style))
            for table in line.tables:
                top: list[Any] = [para(_caption(table), strong)]
                chart = breakdown_chart(table, line.unit, width=width, font=font)
                if chart is not None:
                    top.append(chart)
                plotted = len(chart_values(table))
                shown = sum(
                    1 for cell in table.cells if not cell.hidden and cell.number is not None
                )
                if chart is not None and table.some_hidden:
                    # The page's sentence: its msgid is already markup ("&lt;5").
                    top.append(
                        Paragraph(
                            gettext("Values shown as “&lt;5” are not plotted in the chart."), small
                        )
                    )
                if chart is not None and plotted < shown:
                    top.append(
                        para(
                            gettext("The chart shows the %(plotted)s largest of %(shown)s values.")
                            % {"plotted": plotted, "shown": shown},
                            small,
                        )
                    )
                story.append(KeepTogether(top))
                cells: list[list[Any]] = [
                    [para(table.heading, strong), para(f"{period} ({table.unit})", strong)]
                ]
                cells += [
                    [para(cell.label), figure_para(cell.text, cell.hidden, "", line.unit)]
                    for cell in table.cells
                ]
                story += [grid(cells, [width * 0.66, width * 0.34]), Spacer(1, 3 * mm)]

    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=title,
        author=heading.ambito,
        subject=_period_line(document.period),
        creator="Legami",
        invariant=True,
    )

    def outline(flowable: Any) -> None:
        key = getattr(flowable, "_bookmark", None)
        if key:
            pdf.canv.bookmarkPage(key)
            pdf.canv.addOutlineEntry(flowable.getPlainText(), key, 0)

    pdf.afterFlowable = outline
    pdf.build(story, canvasmaker=_footer_canvas(font, title))
    return buffer.getvalue()
