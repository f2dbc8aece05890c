"""News of a campaign by e-mail: one mail to each donor who gave to the campaign's
organisation, agreed to hear from it (consent in force) and has an address, in their
language, with how to stop; once, even when the task is delivered twice. The desk shows
to how many donors and when it went."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from fundraising.models import CampaignStatus, CampaignUpdate, DonationStatus
from fundraising.services.campaigns import update_mail_send, update_post, update_recipients
from fundraising.services.donors import consent_set
from fundraising.tasks import mail_campaign_update
from legami.models import ChangeEvent
from tests.concurrency import race
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def gave(campaign, donor, status=DonationStatus.RECEIVED):
    return DonationFactory(
        campaign=campaign,
        donor=donor,
        amount=Decimal("20"),
        status=status,
        received_at=timezone.now() if status == DonationStatus.RECEIVED else None,
    )


@pytest.fixture
def world(make_user):
    org = collector(name="Fondazione Comunitaria di Cremona", email="dona@fondazione.example.org")
    campaign = CampaignFactory(organisation=org, title="Nonni in rete")
    owner = fundraiser(org)

    def donor(email, *, consent=True, **kwargs):
        person = DonorFactory(email=email, **kwargs)
        gave(campaign, person)
        if consent:
            consent_set(donor=person, organisation=org, given=True, source="form")
        return person

    english = make_user("anna@example.org", language="en")
    donors = {
        "consented": donor("maria@example.org"),
        "english": donor("anna@example.org", user=english),
        "withdrew": donor("luca@example.org"),
        "never": donor("giulia@example.org", consent=False),
        "no_address": donor(""),
    }
    later = timezone.now() + dt.timedelta(seconds=1)
    consent_set(donor=donors["withdrew"], organisation=org, given=False, source="reply", at=later)
    # Consented to this organisation, but gave only to another one.
    other = CampaignFactory()
    stranger = DonorFactory(email="paolo@example.org")
    gave(other, stranger)
    consent_set(donor=stranger, organisation=org, given=True, source="form")
    return {"org": org, "campaign": campaign, "owner": owner, "donors": donors}


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def test_the_recipients_are_the_consenting_donors_with_an_address(world):
    got = {d.email for d in update_recipients(world["campaign"])}
    assert got == {"maria@example.org", "anna@example.org"}


def test_news_sent_by_email_goes_once_to_each_consenting_donor(
    world, django_capture_on_commit_callbacks
):
    # Given news marked for e-mail
    with django_capture_on_commit_callbacks(execute=True):
        update = update_post(
            campaign=world["campaign"],
            by=world["owner"],
            title="Il primo pranzo",
            body="Eravamo in quaranta.",
            send_by_email=True,
        )
    # Then each consenting donor with an address got one mail
    assert recipients() == ["anna@example.org", "maria@example.org"]
    update.refresh_from_db()
    assert update.emailed_at is not None
    (english,) = [m for m in mail.outbox if m.to == ["anna@example.org"]]
    assert "Il primo pranzo" in english.subject and "Nonni in rete" in english.subject
    assert "Eravamo in quaranta." in english.body
    assert "withdraw your consent" in english.body
    assert "dona@fondazione.example.org" in english.body
    assert english.reply_to == ["dona@fondazione.example.org"]
    event = ChangeEvent.objects.get(
        target_type="fundraising.campaignupdate", target_id=str(update.pk), action="state"
    )
    assert event.changes == {"emailed_to": [None, 2]}

    # When the task is delivered again, nothing more leaves
    assert mail_campaign_update.delay(update.pk).get() == 0
    assert update_mail_send(update_id=update.pk) == 0
    assert len(mail.outbox) == 2


def test_an_update_already_claimed_sends_nothing(world):
    update = CampaignUpdate.objects.create(
        campaign=world["campaign"],
        title="x",
        body="y",
        send_by_email=True,
        emailed_at=timezone.now(),
        created_by=world["owner"],
    )
    assert update_mail_send(update_id=update.pk) == 0
    assert mail.outbox == []


def test_news_not_marked_for_email_is_not_mailed(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        update = update_post(campaign=world["campaign"], by=world["owner"], title="x", body="y")
    assert mail_campaign_update.delay(update.pk).get() == 0
    assert mail.outbox == []
    update.refresh_from_db()
    assert update.emailed_at is None


def test_an_update_gone_sends_nothing(world):
    assert mail_campaign_update.delay(999_999).get() == 0


def test_each_mail_is_in_the_donors_language(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    """A donor with an account reads it in their language; one without, in Italian."""
    from django.utils import translation

    languages = []

    class Spy(translation.override):
        def __enter__(self):
            languages.append(self.language)
            return super().__enter__()

    monkeypatch.setattr(translation, "override", Spy)
    with django_capture_on_commit_callbacks(execute=True):
        update_post(
            campaign=world["campaign"], by=world["owner"], title="x", body="y", send_by_email=True
        )
    # donors in primary-key order: maria (no account: Italian), anna (English)
    assert languages == ["it", "en"]


def test_the_desk_shows_to_how_many_and_when_the_news_went(
    world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        update_post(
            campaign=world["campaign"],
            by=world["owner"],
            title="Il primo pranzo",
            body="Eravamo in quaranta.",
            send_by_email=True,
        )
    client.force_login(world["owner"])

    page = client.get(f"/fundraising/gestione/campagne/{world['campaign'].slug}/").content.decode()

    sent = timezone.localtime(ChangeEvent.objects.get(action="state").at)
    assert f"sent by e-mail to 2 donors on {sent:%d/%m/%Y %H:%M}" in page


def test_posting_news_by_email_from_the_desk(world, client, django_capture_on_commit_callbacks):
    client.force_login(world["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/fundraising/gestione/campagne/{world['campaign'].slug}/notizie/",
            {"title": "Il primo pranzo", "body": "Eravamo in quaranta.", "send_by_email": "on"},
        )
    assert response.status_code == 302
    assert recipients() == ["anna@example.org", "maria@example.org"]


def test_a_closed_campaigns_news_still_reaches_its_donors(
    world, django_capture_on_commit_callbacks
):
    campaign = world["campaign"]
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = timezone.now()
    campaign.save()
    with django_capture_on_commit_callbacks(execute=True):
        update_post(
            campaign=campaign,
            by=world["owner"],
            title="Com'è andata",
            body="Bene.",
            send_by_email=True,
        )
    assert len(mail.outbox) == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent connections are tested on PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_tasks_running_at_once_mail_once(world):
    update = CampaignUpdate.objects.create(
        campaign=world["campaign"],
        title="Il primo pranzo",
        body="Eravamo in quaranta.",
        send_by_email=True,
        created_by=world["owner"],
    )

    results = race([lambda: update_mail_send(update_id=update.pk) for _ in range(4)])

    assert sorted(results) == [0, 0, 0, 2]
    assert recipients() == ["anna@example.org", "maria@example.org"]
