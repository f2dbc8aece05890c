"""The documents of a pact, built with reportlab: the pact itself, for the paper copy
that the person and the community actors sign, and a copy in plain words for the person.

Both are always in Italian (``translation.override("it")``), whatever the language of
the worker who prints them: they are given to the person. Each is built in two steps:
``pact_document`` / ``plain_document`` put the words together (a ``Document``: title,
lines under it, sections with a heading and paragraphs, tables or bullets, signature
boxes), and ``render_pdf`` lays them out, with page numbers ("Pagina 1 di 2") and a
bookmark per section. The words can be read, and tested, without parsing the PDF.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext

from legami.pdf import pdf_fonts
from pacts.models import (
    Commitment,
    CommitmentDirection,
    Pact,
    Signatory,
    SignatoryKind,
)

LANGUAGE = "it"


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)  # first row: the header
    signatures: list[tuple[str, str, str]] = field(default_factory=list)  # who, role, note


@dataclass
class Document:
    title: str
    subtitle: str
    lines: list[str]
    sections: list[Section]
    footer: str

    def text(self) -> str:
        """Every word of the document, in reading order (for tests and search)."""
        parts = [self.title, self.subtitle, *self.lines]
        for s in self.sections:
            parts += [s.heading, *s.paragraphs, *s.bullets]
            parts += [" | ".join(row) for row in s.table]
            parts += [" | ".join(sig) for sig in s.signatures]
        return "\n".join(p for p in parts if p)


def _day(value: dt.date | None) -> str:
    # "E", not "F": the month as written inside a date, lower case in Italian ("7 marzo").
    return date_format(value, "j E Y") if value else "—"


def _moment(value: dt.datetime) -> str:
    return date_format(timezone.localtime(value), "j E Y, H:i")


def _quantity(value: Decimal) -> str:
    normal = value.normalize()
    text = f"{normal:f}" if normal == normal.to_integral() else f"{value:.2f}"
    return text.replace(".", ",")


def _verbose(model: Any, name: str) -> str:
    return str(capfirst(model._meta.get_field(name).verbose_name))


def _amount(c: Commitment) -> str:
    return f"{_quantity(c.quantity)} {c.get_unit_display()} {c.get_period_display()}"


def _signature_note(s: Signatory) -> str:
    if s.signed_at is None:
        return ""
    if s.on_paper:
        return gettext("signature on paper recorded in Legami on %(date)s") % {
            "date": _moment(s.signed_at)
        }
    return gettext("signed in Legami on %(date)s") % {"date": _moment(s.signed_at)}


def _signatory_name(s: Signatory, pact: Pact) -> str:
    if s.kind == SignatoryKind.BENEFICIARY:
        return s.name or f"{pact.person.first_name} {pact.person.last_name}"
    return s.label


def pact_document(pact: Pact) -> Document:
    """The pact for the signed paper copy, in Italian: who, the case service, context
    and strengths, goals with indicators, targets and dates, the commitments both ways,
    and a signature line for every signatory."""
    with translation.override(LANGUAGE):
        person = pact.person
        goals = list(pact.goals.all())
        commitments = list(pact.commitments.all())
        lines = [
            f"{_verbose(type(person), 'first_name')}: {person.first_name}",
            f"{_verbose(type(person), 'last_name')}: {person.last_name}",
            f"{_verbose(type(person), 'birth_date')}: {_day(person.birth_date)}",
            f"{_verbose(type(pact.case), 'organisation')}: {pact.case.organisation.name}",
            gettext("Period: from %(start)s to %(end)s; reviewed every %(weeks)s weeks")
            % {
                "start": _day(pact.start_date),
                "end": _day(pact.end_date),
                "weeks": pact.review_every_weeks,
            },
        ]
        if pact.covers_household:
            lines.append(gettext("The pact is made with the whole household."))
        sections = [
            Section(gettext("Context"), paragraphs=[pact.context or "—"]),
            Section(
                gettext("Strengths and resources of the person"), paragraphs=[pact.strengths or "—"]
            ),
            Section(
                gettext("Goals"),
                table=[
                    [
                        gettext("Goal"),
                        gettext("Indicator"),
                        gettext("Target"),
                        gettext("By"),
                    ],
                    *[
                        [
                            g.description
                            + (f" ({g.organisation.name})" if g.organisation_id else ""),  # type: ignore[union-attr]
                            g.indicator,
                            g.target or "—",
                            _day(g.target_date),
                        ]
                        for g in goals
                    ],
                ],
            ),
        ]
        header = [gettext("Commitment"), gettext("Who"), gettext("How much")]
        for direction, heading in (
            (CommitmentDirection.PROVIDES, gettext("Support to the person")),
            (
                CommitmentDirection.GIVES_BACK,
                gettext("What the person gives back to the community"),
            ),
        ):
            rows = [
                [f"{c.description} ({c.get_kind_display()})", c.owner_label, _amount(c)]
                for c in commitments
                if c.direction == direction
            ]
            sections.append(Section(heading, table=[header, *rows] if rows else []))
            if not rows:
                sections[-1].paragraphs.append("—")
        signatories = sorted(pact.signatories.all(), key=_signatory_order)
        sections.append(
            Section(
                gettext("Signatures"),
                paragraphs=[
                    gettext(
                        "By signing, each party agrees to the goals and commitments of this pact."
                    )
                ],
                signatures=[
                    (_signatory_name(s, pact), s.get_kind_display(), _signature_note(s))
                    for s in signatories
                ],
            )
        )
        return Document(
            title=gettext("Generative pact"),
            subtitle=pact.title,
            lines=lines,
            sections=sections,
            footer=gettext("Pact %(id)s") % {"id": pact.public_id},
        )


_SIGNATORY_ORDER = {
    SignatoryKind.BENEFICIARY: 0,
    SignatoryKind.CASE_WORKER: 1,
    SignatoryKind.ORGANISATION: 2,
    SignatoryKind.COMMUNITY: 3,
}


def _signatory_order(s: Signatory) -> tuple[int, int]:
    return (_SIGNATORY_ORDER.get(SignatoryKind(s.kind), 9), s.pk or 0)


def _contacts(pact: Pact) -> list[str]:
    """Whom the person calls: the case worker who signed, and the case service."""
    contacts = []
    for s in pact.signatories.all():
        if s.kind == SignatoryKind.CASE_WORKER and s.user_id:
            user = s.user
            name = user.get_full_name() or user.email  # type: ignore[union-attr]
            contacts.append(
                gettext("%(name)s, your social worker: %(email)s")
                % {"name": name, "email": user.email}  # type: ignore[union-attr]
            )
    service = pact.case.organisation
    reach = " · ".join(v for v in (service.phone, service.email) if v)
    contacts.append(
        gettext("%(service)s: %(reach)s") % {"service": service.name, "reach": reach}
        if reach
        else service.name
    )
    return contacts


def plain_document(pact: Pact) -> Document:
    """A copy of the pact in plain words for the person, in Italian: short sentences,
    what we want to achieve, what they receive, what they give back, when we meet
    again and whom to call."""
    with translation.override(LANGUAGE):
        person = pact.person
        commitments = list(pact.commitments.all())
        goals = [
            gettext("%(goal)s, by %(date)s.") % {"goal": g.description, "date": _day(g.target_date)}
            + " "
            + gettext("We will know it by this: %(indicator)s.") % {"indicator": g.indicator}
            for g in pact.goals.all()
        ]
        receive = [
            gettext("%(who)s: %(what)s, %(amount)s.")
            % {"who": c.owner_label, "what": c.description, "amount": _amount(c)}
            for c in commitments
            if c.direction == CommitmentDirection.PROVIDES
        ]
        give = [
            gettext("%(what)s, with %(who)s: %(amount)s.")
            % {"who": c.owner_label, "what": c.description, "amount": _amount(c)}
            for c in commitments
            if c.direction == CommitmentDirection.GIVES_BACK
        ]
        next_review = pact.next_review_on or (
            pact.start_date + dt.timedelta(weeks=pact.review_every_weeks)
            if pact.start_date
            else None
        )
        meet = [
            gettext("We meet every %(weeks)s weeks to see together how it is going.")
            % {"weeks": pact.review_every_weeks}
        ]
        if next_review:
            meet.append(gettext("Next meeting: %(date)s.") % {"date": _day(next_review)})
        if pact.end_date:
            meet.append(gettext("The pact lasts until %(date)s.") % {"date": _day(pact.end_date)})
        return Document(
            title=gettext("Your pact"),
            subtitle=pact.title,
            lines=[
                gettext("Dear %(name)s, this is what we agreed together.")
                % {"name": person.first_name}
            ],
            sections=[
                Section(gettext("What we want to achieve"), bullets=goals or ["—"]),
                Section(gettext("What you receive"), bullets=receive or ["—"]),
                Section(gettext("What you give back"), bullets=give or ["—"]),
                Section(gettext("When we meet again"), paragraphs=meet),
                Section(
                    gettext("Who to call"),
                    paragraphs=[gettext("If you have a question or a problem, call:")],
                    bullets=_contacts(pact),
                ),
            ],
            footer=gettext("Pact %(id)s") % {"id": pact.public_id},
        )


# --- Layout --------------------------------------------------------------------------------


def render_pdf(document: Document, *, large: bool = False) -> bytes:
    """Lay ``document`` out on A4 pages with a footer "Pagina n di m" (the labels in
    Italian). ``large`` uses bigger type, for the plain copy."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        KeepTogether,
        ListFlowable,
        ListItem,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font, bold = pdf_fonts()
    size = 12 if large else 9.5
    styles = getSampleStyleSheet()
    title = ParagraphStyle("title", parent=styles["Title"], fontName=bold)
    subtitle = ParagraphStyle("subtitle", parent=styles["Heading2"], fontName=bold, alignment=1)
    heading = ParagraphStyle(
        "heading", parent=styles["Heading2"], fontName=bold, fontSize=size + 4, leading=size + 7
    )
    body = ParagraphStyle(
        "body", parent=styles["BodyText"], fontName=font, fontSize=size, leading=size * 1.35
    )
    cell_style = ParagraphStyle("cell", parent=body, fontSize=size - 1, leading=(size - 1) * 1.3)
    head_cell = ParagraphStyle("head", parent=cell_style, fontName=bold)

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    class Bookmarked(Paragraph):
        """A section heading that is also a bookmark of the PDF."""

        def __init__(self, text: str, key: str) -> None:
            super().__init__(escape(text), heading)
            self._key, self._title = key, text

        def draw(self) -> None:
            super().draw()
            self.canv.bookmarkPage(self._key)
            self.canv.addOutlineEntry(self._title, self._key, level=0)

    with translation.override(LANGUAGE):
        page_label = gettext("Page %(page)s of %(pages)s")

    class NumberedCanvas(Canvas):
        """Writes "page n of m" on each page once the number of pages is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(font, 8)
                self.setFillColor(colors.grey)
                self.drawString(2 * cm, 1.2 * cm, document.footer)
                self.drawRightString(
                    A4[0] - 2 * cm,
                    1.2 * cm,
                    page_label % {"page": self._pageNumber, "pages": len(self._pages)},
                )
                super().showPage()
            super().save()

    story: list[Any] = [para(document.title, title), para(document.subtitle, subtitle)]
    story += [para(line) for line in document.lines]
    for number, section in enumerate(document.sections):
        story.append(Spacer(1, 0.3 * cm))
        block: list[Any] = [Bookmarked(section.heading, f"s{number}")]
        block += [para(p) for p in section.paragraphs]
        story += block
        if section.bullets:
            story.append(
                ListFlowable(
                    [ListItem(para(b), leftIndent=12) for b in section.bullets],
                    bulletType="bullet",
                    bulletFontName=font,
                    start="•",
                )
            )
        if section.table:
            header, *rows = section.table
            table = Table(
                [
                    [para(c, head_cell) for c in header],
                    *[[para(c, cell_style) for c in r] for r in rows],
                ],
                repeatRows=1,
                hAlign="LEFT",
            )
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ]
                )
            )
            story.append(table)
        with translation.override(LANGUAGE):
            sign_label, date_label = gettext("Signature"), gettext("Date")
        for who, role, note in section.signatures:
            box: list[Any] = [
                Spacer(1, 0.5 * cm),
                Paragraph(f"<b>{escape(who)}</b> — {escape(role)}", body),
            ]
            if note:
                box.append(para(note))
            box.append(
                para(f"{sign_label}: ______________________________   {date_label}: ____________")
            )
            story.append(KeepTogether(box))

    buffer = BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{document.title} · {document.subtitle}",
        lang=LANGUAGE,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2.2 * cm,
    ).build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


def pact_pdf(pact: Pact) -> bytes:
    """The pact for the signed paper copy, as a PDF."""
    return render_pdf(pact_document(pact))


def pact_plain_pdf(pact: Pact) -> bytes:
    """The plain-language copy for the person, as a PDF in larger type."""
    return render_pdf(plain_document(pact), large=True)
