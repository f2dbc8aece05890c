"""The pact's documents: the PDF to print and sign and the copy in plain words, both in
Italian, downloaded only by those who may export the pact, each download written to the
access log, never with the person's name in the file name; and the scan of the signed
copy, checked by its content before it is stored in the private storage."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from beneficiaries.models import Person
from legami.models import AccessEvent
from pacts import documents
from pacts.models import Pact, PactStatus, SignatoryKind
from pacts.services import pacts as pact_services
from tests.pacts.factories import pact_in

pytestmark = pytest.mark.django_db

S = PactStatus
PDF_URLS = ["pacts:pact_pdf", "pacts:pact_plain_pdf"]
MESI = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
]
FIRST, LAST = "Geltrude", "Scarabelli"


def named(pact: Pact) -> Pact:
    """The pact's person gets a name that cannot turn up in a file name by chance."""
    Person.objects.filter(pk=pact.person.pk).update(first_name=FIRST, last_name=LAST)
    return Pact.objects.get(pk=pact.pk)


def italian_day(day: dt.date) -> str:
    return f"{day.day} {MESI[day.month - 1]} {day.year}"


def pages(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


def small_pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(100, 750, "Firmato")
    canvas.save()
    return buffer.getvalue()


def scan_files(pact: Pact) -> list[Path]:
    storage = Pact._meta.get_field("scan").storage
    root = Path(storage.location)
    return list(root.rglob(f"*{pact.public_id}*")) if root.exists() else []


@pytest.fixture
def signed(social_worker, partner_user):
    return named(pact_in(S.SIGNED, worker=social_worker, partner_signer=partner_user))


@pytest.fixture
def active(social_worker, partner_user):
    return named(pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user))


# --- The PDF downloads ------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", PDF_URLS)
def test_the_assigned_worker_downloads_a_pdf_without_the_persons_name_in_the_file_name(
    url_name, signed, social_worker_client
):
    response = social_worker_client.get(reverse(url_name, args=[signed.public_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF")
    assert body.rstrip().endswith(b"%%EOF")
    assert pages(body) >= 1
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="legami-' in disposition
    assert str(signed.public_id) in disposition
    assert FIRST.lower() not in disposition.lower()
    assert LAST.lower() not in disposition.lower()
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url_name", PDF_URLS)
def test_each_download_is_written_to_the_access_log_as_an_export(
    url_name, signed, social_worker, social_worker_client
):
    url = reverse(url_name, args=[signed.public_id])
    exports = AccessEvent.objects.filter(
        action=AccessEvent.Action.EXPORT, actor=social_worker, target_type="pacts.pact"
    )
    assert not exports.filter(target_id=str(signed.pk)).exists()

    social_worker_client.get(url)
    social_worker_client.get(url)

    assert exports.filter(target_id=str(signed.pk)).count() == 2
    assert (
        AccessEvent.objects.filter(
            action=AccessEvent.Action.EXPORT,
            actor=social_worker,
            target_type="beneficiaries.person",
            target_id=str(signed.person.pk),
        ).count()
        == 2
    )
    assert all(e.purpose for e in exports)


@pytest.mark.parametrize("url_name", PDF_URLS)
def test_partner_staff_may_not_download_the_pact(url_name, signed, partner_user, partner_client):
    response = partner_client.get(reverse(url_name, args=[signed.public_id]))

    assert response.status_code == 403
    assert not response.content.startswith(b"%PDF")
    assert not AccessEvent.objects.filter(
        action=AccessEvent.Action.EXPORT, actor=partner_user
    ).exists()


@pytest.mark.parametrize("url_name", PDF_URLS)
def test_a_worker_not_assigned_to_the_case_does_not_find_the_pact(
    url_name, signed, make_user, enable_totp
):
    """Not even a colleague at the same organisation."""
    stranger = make_user("stranger@example.org", role="operator")
    assert stranger.memberships.get().organisation == signed.case.organisation
    enable_totp(stranger)
    client = Client()
    client.force_login(stranger)

    response = client.get(reverse(url_name, args=[signed.public_id]))

    assert response.status_code == 404
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT, actor=stranger).exists()


@pytest.mark.parametrize("url_name", PDF_URLS)
def test_an_anonymous_visitor_is_sent_to_log_in(url_name, signed, client):
    response = client.get(reverse(url_name, args=[signed.public_id]))

    assert response.status_code == 302
    assert "login" in response["Location"]


# --- The words of the pact --------------------------------------------------------------------


def test_the_pact_names_every_goal_commitment_and_signatory(signed):
    document = documents.pact_document(signed)
    text = document.text()

    assert document.subtitle == signed.title
    assert FIRST in text and LAST in text
    for goal in signed.goals.all():
        assert goal.description in text
        assert goal.indicator in text
    commitments = list(signed.commitments.all())
    assert {c.description for c in commitments} == {
        "Tutoraggio settimanale",
        "Laboratorio di falegnameria per ragazzi",
    }
    for commitment in commitments:
        assert commitment.description in text
    signatures = next(s for s in document.sections if s.signatures).signatures
    signatories = list(signed.signatories.all())
    assert len(signatures) == len(signatories) == 3
    for signatory in signatories:
        if signatory.kind == SignatoryKind.BENEFICIARY:
            assert any(FIRST in who and LAST in who for who, _role, _note in signatures)
        else:
            assert signatory.label in text
    assert str(signed.public_id) in document.footer


def test_the_give_back_and_the_support_are_in_their_own_sections(signed):
    document = documents.pact_document(signed)
    with translation.override("it"):
        support = gettext("Support to the person")
        give_back = gettext("What the person gives back to the community")
    sections = {s.heading: s for s in document.sections}

    support_rows = [" | ".join(r) for r in sections[support].table[1:]]
    give_back_rows = [" | ".join(r) for r in sections[give_back].table[1:]]

    assert len(support_rows) == 1 and "Tutoraggio settimanale" in support_rows[0]
    assert len(give_back_rows) == 1
    assert "Laboratorio di falegnameria per ragazzi" in give_back_rows[0]


def test_every_signature_shows_when_and_how_it_was_given(signed):
    signatures = next(s for s in documents.pact_document(signed).sections if s.signatures)
    by_role = {role: note for _who, role, note in signatures.signatures}
    signatories = {s.kind: s for s in signed.signatories.all()}
    with translation.override("it"):
        roles = {kind: str(SignatoryKind(kind).label) for kind in signatories}
        on_paper = gettext("signature on paper recorded in Legami on %(date)s")
        online = gettext("signed in Legami on %(date)s")

    for kind, signatory in signatories.items():
        note = by_role[roles[kind]]
        assert signatory.signed_at is not None
        moment = timezone.localtime(signatory.signed_at)
        assert italian_day(moment.date()) in note
        assert f"{moment:%H:%M}" in note
        template = on_paper if signatory.on_paper else online
        assert note.startswith(template.split("%(date)s")[0])
    assert signatories[SignatoryKind.BENEFICIARY].on_paper
    assert not signatories[SignatoryKind.ORGANISATION].on_paper


def test_a_pact_not_yet_signed_has_empty_signature_lines(social_worker, partner_user):
    proposed = pact_in(S.PROPOSED, worker=social_worker, partner_signer=partner_user)

    signatures = next(s for s in documents.pact_document(proposed).sections if s.signatures)

    assert len(signatures.signatures) == 3
    assert all(note == "" for _who, _role, note in signatures.signatures)


def test_the_headings_are_the_italian_words_whatever_the_users_language(signed):
    english = [
        "Context",
        "Strengths and resources of the person",
        "Goals",
        "Support to the person",
        "What the person gives back to the community",
        "Signatures",
    ]
    assert translation.get_language() == "en"

    document = documents.pact_document(signed)

    with translation.override("it"):
        italian = [gettext(h) for h in english]
        title = gettext("Generative pact")
    assert [s.heading for s in document.sections] == italian
    assert document.title == title
    assert translation.get_language() == "en"


def test_the_goal_dates_are_written_in_italian(signed):
    goal = signed.goals.first()

    text = documents.pact_document(signed).text()

    assert italian_day(goal.target_date) in text


def test_the_plain_copy_says_what_the_person_gives_back_and_when_we_meet_again(active):
    review = dt.date(2031, 3, 7)
    Pact.objects.filter(pk=active.pk).update(next_review_on=review)
    active.refresh_from_db()

    document = documents.plain_document(active)
    text = document.text()

    with translation.override("it"):
        give_back = gettext("What you give back")
        meet = gettext("When we meet again")
    sections = {s.heading: s for s in document.sections}
    assert any("Laboratorio di falegnameria per ragazzi" in b for b in sections[give_back].bullets)
    assert not any("Tutoraggio settimanale" in b for b in sections[give_back].bullets)
    assert any("7 marzo 2031" in p for p in sections[meet].paragraphs)
    assert FIRST in text
    assert LAST not in text  # the plain copy speaks to the person by first name
    for goal in active.goals.all():
        assert goal.description in text


def test_a_long_document_is_laid_out_on_several_numbered_pages():
    document = documents.Document(
        title="Patto",
        subtitle="Lungo",
        lines=["Riga"],
        sections=[
            documents.Section(f"Sezione {n}", paragraphs=["Parole del patto. " * 40] * 4)
            for n in range(12)
        ],
        footer="Patto 1",
    )

    pdf = documents.render_pdf(document)

    assert pdf.startswith(b"%PDF")
    assert pages(pdf) > 1


def test_an_accented_name_is_laid_out(signed):
    Person.objects.filter(pk=signed.person.pk).update(first_name="Niccolò", last_name="D'Àlvaro")
    signed = Pact.objects.get(pk=signed.pk)

    assert "Niccolò" in documents.pact_document(signed).text()
    assert documents.pact_pdf(signed).startswith(b"%PDF")
    assert documents.pact_plain_pdf(signed).startswith(b"%PDF")


# --- The scan of the signed copy ---------------------------------------------------------------


def upload(client, pact, content: bytes, name: str = "firmato.pdf", **kwargs):
    file = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(
        reverse("pacts:scan_upload", args=[pact.public_id]), {"scan": file}, **kwargs
    )


def download(client, pact):
    response = client.get(reverse("pacts:scan", args=[pact.public_id]))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return response, body


def test_a_signed_pdf_is_attached_and_given_back_as_it_was(signed, social_worker_client):
    content = small_pdf()

    response = upload(social_worker_client, signed, content)

    assert response.status_code == 302
    assert response["Location"] == reverse("pacts:documents", args=[signed.public_id])
    signed.refresh_from_db()
    assert signed.scan
    response, body = download(social_worker_client, signed)
    assert response.status_code == 200
    assert body == content
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]
    assert LAST.lower() not in response["Content-Disposition"].lower()
    assert "no-store" in response["Cache-Control"]


def test_a_program_named_like_a_pdf_is_refused_and_not_stored(signed, social_worker_client):
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200

    response = upload(social_worker_client, signed, exe, name="patto.pdf")

    assert response.status_code == 400
    assert "The scan must be a PDF, PNG or JPEG file." in response.content.decode()
    signed.refresh_from_db()
    assert not signed.scan
    assert scan_files(signed) == []
    response, _body = download(social_worker_client, signed)
    assert response.status_code == 404


def test_a_scan_is_refused_on_a_draft(social_worker, partner_user, social_worker_client):
    draft = pact_in(S.DRAFT, worker=social_worker, partner_signer=partner_user)

    response = upload(social_worker_client, draft, small_pdf())

    assert response.status_code == 400
    assert "Attach the scan once the pact is signed." in response.content.decode()
    draft.refresh_from_db()
    assert not draft.scan
    assert scan_files(draft) == []


def test_a_scan_over_the_limit_is_refused(signed, social_worker_client, monkeypatch):
    content = small_pdf()
    monkeypatch.setattr(pact_services, "SCAN_MAX_BYTES", len(content) - 1)

    response = upload(social_worker_client, signed, content)

    assert response.status_code == 400
    assert "The scan is larger than 10 MB." in response.content.decode()
    signed.refresh_from_db()
    assert not signed.scan
    assert scan_files(signed) == []


def test_the_limit_is_ten_megabytes(signed, social_worker):
    at_limit = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 - 9)
    over = at_limit + b"0"

    with pytest.raises(ValidationError) as refused:
        pact_services.pact_attach_scan(
            pact=signed, actor=social_worker, file=SimpleUploadedFile("big.pdf", over)
        )
    assert "scan" in refused.value.message_dict

    attached = pact_services.pact_attach_scan(
        pact=signed, actor=social_worker, file=SimpleUploadedFile("ok.pdf", at_limit)
    )
    assert attached.scan.size == 10 * 1024 * 1024


def test_partner_staff_may_not_download_the_scan(signed, social_worker_client, partner_client):
    upload(social_worker_client, signed, small_pdf())
    signed.refresh_from_db()
    assert signed.scan

    response, body = download(partner_client, signed)

    assert response.status_code == 403
    assert not body.startswith(b"%PDF")


def test_partner_staff_may_not_attach_a_scan(signed, partner_client):
    response = upload(partner_client, signed, small_pdf())

    assert response.status_code == 403
    signed.refresh_from_db()
    assert not signed.scan


def test_the_scan_is_kept_in_the_private_storage(signed, social_worker):
    """Not under MEDIA_ROOT, which the web server may serve."""
    pact = pact_services.pact_attach_scan(
        pact=signed, actor=social_worker, file=SimpleUploadedFile("s.pdf", small_pdf())
    )

    stored = Path(pact.scan.path).resolve()
    assert stored.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert stored.read_bytes().startswith(b"%PDF")
