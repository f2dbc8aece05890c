"""The findings library's services and search: themes merged without regard to case,
files sniffed (not trusted by name), stored under the item's opaque id, their old copy
deleted after commit; the full-text search in Italian on PostgreSQL (stems, ranking,
websearch syntax, words inside PDFs, escaped excerpts, served by the GIN index) and the
substring fallback elsewhere."""

from __future__ import annotations

import io
import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from research import search as search_module
from research.models import Finding, FindingKind, Theme, Workshop
from research.search import INDEX_NAME, highlighted
from research.selectors import finding_list
from research.services import finding_create, finding_delete, finding_update, themes_from_text
from tests.labs.factories import MeetingFactory
from tests.research.factories import PathwayFactory, researcher

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search is PostgreSQL's"
)


def pdf_bytes(*lines: str) -> bytes:
    """A one-page PDF holding ``lines`` as text (made with reportlab)."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for number, line in enumerate(lines):
        page.drawString(72, 720 - 18 * number, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


def pdf_upload(*lines: str, name: str = "Rapporto finale.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(*lines), content_type="application/pdf")


def stored(finding: Finding) -> bool:
    return finding.file.storage.exists(finding.file.name)


@pytest.fixture
def author():
    return researcher()


def add(author, title="Nota", **values):
    values.setdefault("kind", FindingKind.NOTE)
    return finding_create(by=author, title=title, **values)


# --- Themes -------------------------------------------------------------------------------


def test_themes_are_one_whatever_their_case():
    first = themes_from_text("Solitudine, lavoro  povero, solitudine, ")
    again = themes_from_text("SOLITUDINE, Lavoro povero, casa")

    assert [t.name for t in first] == ["Solitudine", "lavoro povero"]
    assert [t.pk for t in again[:2]] == [t.pk for t in first]
    assert Theme.objects.count() == 3


def test_an_item_keeps_its_themes_and_changes_them(author):
    finding = add(author, themes=themes_from_text("solitudine, casa"))
    assert sorted(finding.themes.values_list("name", flat=True)) == ["casa", "solitudine"]

    finding_update(finding=finding, by=author, themes=themes_from_text("Casa"))

    assert list(finding.themes.values_list("name", flat=True)) == ["casa"]


# --- Rules --------------------------------------------------------------------------------


def test_a_pathway_document_names_its_pathway(author):
    with pytest.raises(ValidationError) as refused:
        add(author, kind=FindingKind.DOCUMENT)
    assert "pathway" in refused.value.error_dict
    assert not Finding.objects.exists()


def test_only_the_pathway_lead_files_items_under_it(author):
    pathway = PathwayFactory(lead=researcher())
    with pytest.raises(PermissionDenied):
        add(author, pathway=pathway)
    assert not Finding.objects.exists()


def test_a_workshop_material_takes_the_workshop_pathway(author):
    pathway = PathwayFactory(lead=author)
    workshop = Workshop.objects.create(meeting=MeetingFactory(), pathway=pathway)

    finding = add(author, kind=FindingKind.MATERIAL, workshop=workshop)

    assert finding.pathway == pathway and finding.workshop == workshop


def test_a_workshop_of_another_pathway_is_refused(author):
    workshop = Workshop.objects.create(
        meeting=MeetingFactory(), pathway=PathwayFactory(lead=author)
    )
    with pytest.raises(ValidationError) as refused:
        add(author, pathway=PathwayFactory(lead=author), workshop=workshop)
    assert "workshop" in refused.value.error_dict


def test_another_researcher_cannot_change_an_item(author):
    finding = add(author)
    with pytest.raises(PermissionDenied):
        finding_update(finding=finding, by=researcher(), title="Altro")
    with pytest.raises(PermissionDenied):
        finding_delete(finding=finding, by=researcher())


# --- Files --------------------------------------------------------------------------------


def test_a_file_is_stored_under_the_item_id_with_its_name_kept_as_text(author):
    finding = add(author, file=pdf_upload("Reti di prossimità"))

    assert os.path.basename(finding.file.name) == f"{finding.public_id}.pdf"
    assert "Rapporto" not in finding.file.name
    assert finding.file_name == "Rapporto finale.pdf"
    assert "prossimità" in finding.file_text
    assert stored(finding)


def test_a_program_named_pdf_is_refused(author):
    upload = SimpleUploadedFile("relazione.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64)
    with pytest.raises(ValidationError) as refused:
        add(author, file=upload)
    assert "Upload a PDF" in refused.value.message_dict["file"][0]
    assert not Finding.objects.exists()


def test_a_zip_named_like_an_office_document_only_if_it_is_one(author):
    archive = b"PK\x03\x04" + b"\x00" * 64
    finding = add(author, file=SimpleUploadedFile("piano.docx", archive))
    assert finding.file.name.endswith(".docx")
    with pytest.raises(ValidationError):
        add(author, file=SimpleUploadedFile("archivio.zip", archive))


def test_a_file_over_20_mb_is_refused(author):
    upload = pdf_upload("grande")
    upload.size = 20 * 1024 * 1024 + 1
    with pytest.raises(ValidationError) as refused:
        add(author, file=upload)
    assert refused.value.message_dict["file"] == ["The file is larger than 20 MB."]
    assert not Finding.objects.exists()


def test_a_replaced_file_is_deleted_after_commit(author, django_capture_on_commit_callbacks):
    finding = add(author, file=pdf_upload("prima versione"))
    old = finding.file.name

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        finding_update(finding=finding, by=author, file=pdf_upload("seconda versione"))

    assert callbacks
    finding.refresh_from_db()
    assert finding.file.name != old and stored(finding)
    assert not finding.file.storage.exists(old)
    assert "seconda" in finding.file_text


def test_a_refused_replacement_keeps_the_old_file(author, django_capture_on_commit_callbacks):
    finding = add(author, file=pdf_upload("prima versione"))
    bad = SimpleUploadedFile("nuovo.pdf", b"MZ" + b"\x00" * 32)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        finding_update(finding=finding, by=author, file=bad)

    finding.refresh_from_db()
    assert stored(finding) and "prima" in finding.file_text


def test_a_removed_file_goes_with_its_text(author, django_capture_on_commit_callbacks):
    finding = add(author, file=pdf_upload("testo del file"))
    old = finding.file.name

    with django_capture_on_commit_callbacks(execute=True):
        finding_update(finding=finding, by=author, remove_file=True)

    finding.refresh_from_db()
    assert not finding.file and finding.file_name == "" and finding.file_text == ""
    assert not finding.file.storage.exists(old)


def test_a_deleted_item_takes_its_file_after_commit(author, django_capture_on_commit_callbacks):
    finding = add(author, file=pdf_upload("da eliminare"))
    storage, name = finding.file.storage, finding.file.name

    with django_capture_on_commit_callbacks(execute=True):
        finding_delete(finding=finding, by=author)

    assert not Finding.objects.exists()
    assert not storage.exists(name)


# --- Search: everywhere -------------------------------------------------------------------


def test_the_fallback_search_finds_by_substring(author, monkeypatch):
    """Where there is no PostgreSQL (the SQLite quick start), every word must appear in
    the title, summary, text or the file's text, in any case."""
    monkeypatch.setattr(search_module, "uses_postgres", lambda: False)
    families = add(author, title="Le famiglie monoparentali", body="Reti informali")
    in_file = add(author, title="Allegato", file=pdf_upload("Caregiver familiari"))
    add(author, title="Lavoro povero")

    def found(text):
        return set(finding_list(user=author, text=text))

    assert found("famigl") == {families}
    assert found("FAMIGLIE reti") == {families}
    assert found("caregiver") == {in_file}
    assert found("famiglie assente") == set()


def test_filters_narrow_the_list(author):
    pathway = PathwayFactory(lead=author)
    [home] = themes_from_text("casa")
    tagged = add(author, title="A", themes=[home])
    filed = add(author, title="B", kind=FindingKind.REPORT, pathway=pathway)

    assert list(finding_list(user=author, theme=home.pk)) == [tagged]
    assert list(finding_list(user=author, pathway=pathway.pk)) == [filed]
    assert list(finding_list(user=author, kind="report")) == [filed]


def test_highlighted_escapes_everything_but_its_marks():
    excerpt = "<script>alert(1)</script> la \x02famiglia\x03 & <b>altro</b>"

    html = highlighted(excerpt)

    assert html == (
        "&lt;script&gt;alert(1)&lt;/script&gt; la <mark>famiglia</mark> "
        "&amp; &lt;b&gt;altro&lt;/b&gt;"
    )
    assert highlighted(None) == "" and highlighted("no marks") == ""


# --- Search: PostgreSQL -------------------------------------------------------------------


@postgres_only
def test_italian_stems_match_other_forms_of_a_word(author):
    """to_tsvector('italian', …): famiglia and famiglie → 'famigl'; vulnerabili and
    vulnerabilità → 'vulner'."""
    family = add(author, title="Sostegno", body="Ogni famiglia del quartiere")
    vulnerable = add(author, title="Indagine", summary="Gli anziani più vulnerabili")
    add(author, title="Altro", body="Lavoro e formazione")

    assert list(finding_list(user=author, text="famiglie")) == [family]
    assert list(finding_list(user=author, text="vulnerabilità")) == [vulnerable]


@postgres_only
def test_a_title_match_ranks_above_a_body_match(author):
    in_body = add(author, title="Relazione annuale", body="Si parla anche di solitudine.")
    in_title = add(author, title="La solitudine degli anziani", body="Relazione")
    in_summary = add(author, title="Quaderno", summary="solitudine e reti")

    assert list(finding_list(user=author, text="solitudine")) == [in_title, in_summary, in_body]


@postgres_only
def test_websearch_phrases_and_exclusions(author):
    phrase = add(author, title="Il lavoro povero in provincia")
    apart = add(author, title="Povero di lavoro, ricco di reti")
    housing = add(author, title="Lavoro e casa")

    assert list(finding_list(user=author, text='"lavoro povero"')) == [phrase]
    assert set(finding_list(user=author, text="lavoro povero")) == {phrase, apart}
    assert set(finding_list(user=author, text="lavoro -povero")) == {housing}
    assert set(finding_list(user=author, text="casa or reti")) == {housing, apart}


@postgres_only
def test_words_inside_an_uploaded_pdf_are_found(author):
    report = add(
        author,
        title="Rapporto di ricerca",
        file=pdf_upload("Capitolo 2", "Le reti di prossimità nei comuni del Casalasco"),
    )
    add(author, title="Altro rapporto")

    [hit] = finding_list(user=author, text="casalasco prossimità")
    assert hit == report
    assert "<mark>" in highlighted(hit.excerpt)


@postgres_only
def test_the_excerpt_is_escaped_with_only_its_marks(author):
    """ts_headline drops well-formed tags but keeps other markup as text (an <img> with
    unquoted attributes, a bare "<"): the excerpt is escaped whole, then marked."""
    add(
        author,
        title="Nota",
        body='<script>alert("x")</script> una famiglia <b>sola</b> con 2 < 3 '
        "<img src=x onerror=alert(1)> fine",
    )

    [hit] = finding_list(user=author, text="famiglia")
    html = str(highlighted(hit.excerpt))

    assert "<mark>famiglia</mark>" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "2 &lt; 3" in html
    assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0


@postgres_only
def test_the_search_uses_the_gin_index(author):
    for n in range(5):
        add(author, title=f"Nota {n}", body="famiglia e lavoro")
    items = finding_list(user=author, text="famiglia")

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = items.explain()

    assert INDEX_NAME in plan, plan
