"""The findings library's pages: add an item with themes, pathway and a PDF; read it
(themes link to the filtered list, the pathway to its page, the file downloads as an
attachment); change it, remove its file, remove it; refusals come back on the form,
status 400, nothing changed; the list searches and filters, says 400 to a filter that is
not one of its values, and reads in a number of queries that does not grow with the
items."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from legami.roles import Role
from research.models import Finding, FindingKind, Theme, Workshop
from research.services import finding_create, themes_from_text
from tests.labs.factories import MeetingFactory
from tests.research.factories import PathwayFactory, researcher

pytestmark = pytest.mark.django_db

LIST = "/research/biblioteca/"


def pdf_upload(text: str, name: str = "Rapporto <finale>.pdf") -> SimpleUploadedFile:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


@pytest.fixture
def owner():
    return researcher()


@pytest.fixture
def client_owner(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def pathway(owner):
    return PathwayFactory(lead=owner, title="Reti di prossimità")


def add(owner, title="Nota di campo", **values):
    values.setdefault("kind", FindingKind.NOTE)
    return finding_create(by=owner, title=title, **values)


def form_data(**values):
    data = {
        "kind": "note",
        "title": "Nota",
        "summary": "",
        "body": "",
        "themes": "",
        "pathway": "",
        "workshop": "",
        "link": "",
    }
    data.update(values)
    return data


# --- Adding ---------------------------------------------------------------------------------


def test_add_an_item_with_themes_pathway_and_file(client_owner, owner, pathway):
    response = client_owner.post(
        reverse("research:finding_create"),
        form_data(
            kind="document",
            title="Mappa delle reti",
            summary="Chi sostiene chi",
            body="Le famiglie del quartiere",
            themes="Solitudine, reti informali",
            pathway=pathway.pk,
            link="example.org/mappa",
            file=pdf_upload("Allegato"),
        ),
    )

    finding = Finding.objects.get()
    assert response.status_code == 302 and response.url == finding.get_absolute_url()
    assert finding.author == owner and finding.pathway == pathway
    assert finding.kind == FindingKind.DOCUMENT and finding.link == "https://example.org/mappa"
    assert sorted(t.name for t in finding.themes.all()) == ["Solitudine", "reti informali"]
    assert finding.file_name == "Rapporto <finale>.pdf"
    assert finding.file.name.endswith(f"{finding.public_id}.pdf")

    page = client_owner.get(finding.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200 and "Mappa delle reti" in html
    theme = Theme.objects.get(name="Solitudine")
    assert f'href="{LIST}?theme={theme.pk}"' in html
    assert f'href="/research/percorsi/{pathway.pk}/"' in html
    assert reverse("research:finding_file", args=[finding.public_id]) in html
    assert "Rapporto &lt;finale&gt;.pdf" in html
    assert reverse("research:finding_edit", args=[finding.public_id]) in html


def test_the_form_offers_only_the_pathways_one_leads(client_owner, pathway):
    other = PathwayFactory(lead=researcher(), title="Percorso altrui")

    html = client_owner.get(reverse("research:finding_create")).content.decode()

    assert pathway.title in html and other.title not in html
    response = client_owner.post(
        reverse("research:finding_create"), form_data(kind="document", pathway=other.pk)
    )
    assert response.status_code == 400 and not Finding.objects.exists()


def test_a_workshop_in_the_address_presets_workshop_and_pathway(client_owner, pathway):
    workshop = Workshop.objects.create(
        meeting=MeetingFactory(title="Primo tavolo"), pathway=pathway
    )

    response = client_owner.get(reverse("research:finding_create"), {"workshop": workshop.pk})

    form = response.context["form"]
    assert response.status_code == 200
    assert form["workshop"].value() == workshop.pk and form["pathway"].value() == pathway.pk
    assert form["kind"].value() == FindingKind.MATERIAL
    html = response.content.decode()
    assert f'<option value="{workshop.pk}" selected>' in html

    preset = client_owner.get(reverse("research:finding_create"), {"pathway": pathway.pk})
    assert preset.context["form"]["pathway"].value() == pathway.pk
    assert client_owner.get(reverse("research:finding_create"), {"pathway": "x"}).status_code == 200


def test_a_material_saved_from_a_workshop_takes_its_pathway(client_owner, pathway):
    workshop = Workshop.objects.create(meeting=MeetingFactory(), pathway=pathway)

    response = client_owner.post(
        reverse("research:finding_create"),
        form_data(kind="material", title="Cartellone", workshop=workshop.pk),
    )

    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.workshop == workshop and finding.pathway == pathway


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"kind": "document"}, "pathway", "A pathway's document or output names its pathway."),
        (
            {"file": SimpleUploadedFile("setup.pdf", b"MZ\x90\x00" + b"\x00" * 60)},
            "file",
            "Upload a PDF, an image (PNG, JPEG) or an office document",
        ),
        ({"title": "   "}, "title", "This field is required."),
    ],
)
def test_a_refused_item_comes_back_on_the_form(client_owner, values, field, message):
    response = client_owner.post(reverse("research:finding_create"), form_data(**values))

    assert response.status_code == 400
    assert any(message in str(e) for e in response.context["form"].errors[field])
    assert "Nothing was saved" in response.content.decode()
    assert not Finding.objects.exists()


def test_a_refused_item_makes_no_new_theme(client_owner):
    response = client_owner.post(
        reverse("research:finding_create"), form_data(kind="output", themes="nuovo tema")
    )
    assert response.status_code == 400
    assert not Theme.objects.exists()


def test_a_file_over_20_mb_is_refused_on_the_page(client_owner, monkeypatch):
    """The size is faked on the upload as the form receives it (no 20 MB written)."""
    from research.forms_library import FindingForm

    clean = FindingForm.clean

    def huge(self):
        data = clean(self)
        if data.get("file"):
            data["file"].size = 21 * 1024 * 1024
        return data

    monkeypatch.setattr(FindingForm, "clean", huge)
    response = client_owner.post(
        reverse("research:finding_create"), form_data(file=pdf_upload("grande"))
    )

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["The file is larger than 20 MB."]
    assert not Finding.objects.exists()


# --- Changing and removing ------------------------------------------------------------------


def test_change_an_item_and_remove_its_file(
    client_owner, owner, django_capture_on_commit_callbacks
):
    finding = add(owner, themes=themes_from_text("casa"), file=pdf_upload("vecchio"))
    old = finding.file.name
    url = reverse("research:finding_edit", args=[finding.public_id])

    page = client_owner.get(url)
    assert page.status_code == 200
    assert page.context["form"]["themes"].value() == "casa"
    assert "remove_file" in page.context["form"].fields

    with django_capture_on_commit_callbacks(execute=True):
        response = client_owner.post(
            url, form_data(title="Nota rivista", themes="Casa, lavoro", remove_file="on")
        )

    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.title == "Nota rivista" and not finding.file and finding.file_name == ""
    assert sorted(t.name for t in finding.themes.all()) == ["casa", "lavoro"]
    assert not finding.file.storage.exists(old)


def test_replace_the_file_of_an_item(client_owner, owner, django_capture_on_commit_callbacks):
    finding = add(owner, file=pdf_upload("vecchio"))
    old = finding.file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = client_owner.post(
            reverse("research:finding_edit", args=[finding.public_id]),
            form_data(title=finding.title, file=pdf_upload("nuovo", name="v2.pdf")),
        )

    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.file_name == "v2.pdf" and "nuovo" in finding.file_text
    assert not finding.file.storage.exists(old)


def test_a_refused_change_changes_nothing(client_owner, owner):
    finding = add(owner, title="Prima", themes=themes_from_text("casa"))

    response = client_owner.post(
        reverse("research:finding_edit", args=[finding.public_id]),
        form_data(kind="output", title="Dopo", themes="altro"),
    )

    assert response.status_code == 400
    assert "pathway" in response.context["form"].errors
    finding.refresh_from_db()
    assert finding.title == "Prima" and finding.kind == FindingKind.NOTE
    assert list(Theme.objects.values_list("name", flat=True)) == ["casa"]


def test_remove_an_item(client_owner, owner, django_capture_on_commit_callbacks):
    finding = add(owner, title="Da togliere", file=pdf_upload("x"))
    storage, name = finding.file.storage, finding.file.name
    url = reverse("research:finding_delete", args=[finding.public_id])

    confirm = client_owner.get(url)
    assert confirm.status_code == 200 and "Da togliere" in confirm.content.decode()
    assert Finding.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_owner.post(url)

    assert response.status_code == 302 and response.url == LIST
    assert not Finding.objects.exists() and not storage.exists(name)


# --- Reading and downloading ----------------------------------------------------------------


def test_the_file_downloads_as_an_attachment_with_its_name(client_owner, owner):
    finding = add(owner, file=pdf_upload("contenuto", name="Relazione 2026.pdf"))

    response = client_owner.get(reverse("research:finding_file", args=[finding.public_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "Relazione 2026.pdf" in disposition
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_an_item_without_file_has_no_download(client_owner, owner):
    finding = add(owner)
    response = client_owner.get(reverse("research:finding_file", args=[finding.public_id]))
    assert response.status_code == 404


def test_the_file_lives_in_the_private_storage(client_owner, owner, settings):
    """Outside MEDIA_ROOT (nothing serves it), and the page links the download view only."""
    from pathlib import Path

    finding = add(owner, file=pdf_upload("x"))
    path = Path(finding.file.path).resolve()

    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    html = client_owner.get(finding.get_absolute_url()).content.decode()
    assert finding.file.name not in html


def test_a_reader_sees_no_change_buttons(matrix_client, owner):
    finding = add(owner)
    reader = matrix_client(Role.OPERATOR, {})

    page = reader.get(finding.get_absolute_url())

    assert page.status_code == 200
    html = page.content.decode()
    assert "Nota di campo" in html
    assert reverse("research:finding_edit", args=[finding.public_id]) not in html
    assert reverse("research:finding_delete", args=[finding.public_id]) not in html


def test_the_pathway_lead_may_change_an_item_of_the_pathway(client_owner, owner, pathway):
    finding = add(researcher(), title="Di un altro")
    # Filed under the pathway by its lead; the author is someone else.
    Finding.objects.filter(pk=finding.pk).update(pathway=pathway)

    page = client_owner.get(finding.get_absolute_url())

    assert reverse("research:finding_edit", args=[finding.public_id]) in page.content.decode()


# --- The list -------------------------------------------------------------------------------


def test_the_list_searches_and_filters(client_owner, owner, pathway):
    [home] = themes_from_text("casa")
    families = add(owner, title="Famiglie e casa", themes=[home])
    report = add(owner, title="Rapporto sulle famiglie", kind="report", pathway=pathway)
    add(owner, title="Lavoro povero")

    def titles(**query):
        response = client_owner.get(LIST, query)
        assert response.status_code == 200
        return [i.title for i in response.context["items"]]

    assert len(titles()) == 3
    assert set(titles(q="famiglie")) == {families.title, report.title}
    assert titles(q="famiglie", theme=home.pk) == [families.title]
    assert titles(pathway=pathway.pk) == [report.title]
    assert titles(kind="report") == [report.title]

    html = client_owner.get(LIST, {"q": "famiglie"}).content.decode()
    assert "2 items" in html
    assert "No item matches this search." in client_owner.get(LIST, {"q": "zzz"}).content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"theme": "abc"}, "“abc” is not a theme of the library."),
        ({"theme": "999999"}, "“999999” is not a theme of the library."),
        ({"pathway": "1.5"}, "“1.5” is not a pathway you can see."),
        ({"kind": "poster"}, "“poster” is not a kind of library item."),
    ],
)
def test_a_filter_that_is_not_one_of_the_choices_is_a_400(client_owner, query, message):
    response = client_owner.get(LIST, query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "The search cannot run" in response.content.decode()


def test_the_list_is_paginated_keeping_the_search(client_owner, owner):
    for n in range(25):
        add(owner, title=f"Famiglia {n}")

    first = client_owner.get(LIST, {"q": "famiglia"})
    second = client_owner.get(LIST, {"q": "famiglia", "page": 2})

    assert len(first.context["items"]) == 20 and len(second.context["items"]) == 5
    assert "?q=famiglia&amp;page=2" in first.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="excerpts are PostgreSQL's")
def test_the_list_shows_the_highlighted_excerpt(client_owner, owner):
    add(owner, title="Nota", body="Una famiglia <i>numerosa</i> del quartiere <b onclick=x>")

    html = client_owner.get(LIST, {"q": "famiglie"}).content.decode()

    assert "<mark>famiglia</mark>" in html
    assert "<b onclick" not in html


@pytest.mark.parametrize("query", [{}, {"q": "famiglia"}])
def test_the_list_reads_in_a_bounded_number_of_queries(
    client_owner, owner, pathway, django_assert_max_num_queries, query
):
    themes = themes_from_text("casa, lavoro, reti")

    def fill(count):
        for n in range(count):
            add(owner, title=f"Famiglia {n}", pathway=pathway, themes=themes)

    fill(2)
    with django_assert_max_num_queries(12) as few:
        assert client_owner.get(LIST, query).status_code == 200
    fill(18)
    with django_assert_max_num_queries(12) as many:
        assert client_owner.get(LIST, query).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_detail_reads_in_a_bounded_number_of_queries(
    client_owner, owner, pathway, django_assert_max_num_queries
):
    workshop = Workshop.objects.create(meeting=MeetingFactory(), pathway=pathway)
    finding = add(owner, kind="material", workshop=workshop, themes=themes_from_text("a, b, c, d"))
    with django_assert_max_num_queries(10):
        assert client_owner.get(finding.get_absolute_url()).status_code == 200
