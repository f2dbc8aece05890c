"""What a security review found and is now shut: partner staff see on the list only what
partner_view holds; reminders stop with access; re-rendered pages are logged; the scan's
stored name carries no uploaded file name."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from legami.models import AccessEvent
from pacts.models import Pact, PactStatus
from pacts.services import follow
from pacts.services.pacts import pact_attach_scan
from tests.pacts.factories import draft_pact, pact_in

S = PactStatus


def test_the_list_shows_partner_staff_only_what_partner_view_holds(
    social_worker, partner_user, partner_client
):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    page = partner_client.get(reverse("pacts:pact_list")).content.decode()
    assert pact.title in page
    assert pact.case.organisation.name not in page
    assert pact.next_review_on.isoformat() not in page


def test_reminders_stop_when_the_recipient_can_no_longer_read_the_pact(
    social_worker, partner_user, partner_client
):
    pact = pact_in(S.ACTIVE, worker=social_worker, partner_signer=partner_user)
    Pact.objects.filter(pk=pact.pk).update(
        next_review_on=timezone.localdate() + dt.timedelta(days=2)
    )
    partner_user.memberships.update(end_date=timezone.localdate() - dt.timedelta(days=1))
    follow.reminders_scan()
    assert not pact.reminders.filter(recipient=partner_user).exists()
    assert pact.reminders.filter(recipient=social_worker).exists()
    response = partner_client.get("/api/v1/pact-reminders/")
    assert pact.title not in response.content.decode()


def test_a_refused_editor_form_is_logged_as_a_read(social_worker, social_worker_client):
    pact = draft_pact(social_worker)
    before = AccessEvent.objects.filter(target_id=str(pact.person.pk)).count()
    response = social_worker_client.post(
        reverse("pacts:pact_edit", args=[pact.public_id]), {"title": "", "review_every_weeks": "99"}
    )
    assert response.status_code == 400
    assert AccessEvent.objects.filter(target_id=str(pact.person.pk)).count() == before + 1


def test_the_scan_is_stored_under_the_pacts_opaque_id_only(social_worker, partner_user):
    pact = pact_in(S.SIGNED, worker=social_worker, partner_signer=partner_user)
    upload = SimpleUploadedFile(
        "Rossi_Mario_RSSMRA80A01H501U.pdf", b"%PDF-1.4 test", content_type="application/pdf"
    )
    pact = pact_attach_scan(pact=pact, actor=social_worker, file=upload)
    assert "RSSMRA" not in pact.scan.name and "Rossi" not in pact.scan.name
    assert pact.scan.name.endswith(f"pact-{pact.public_id}.pdf")
