"""One click to stop a campaign's news: every news mail carries the donor's own signed
link (in the footer and in the ``List-Unsubscribe`` header); the page it opens asks
first (a GET changes nothing: mail scanners follow links) and withdraws the consent on
the POST of its form. A link that was changed is refused and changes nothing; the page
shows nothing about the donor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from fundraising.models import CampaignUpdate, ConsentChange, DonationStatus
from fundraising.services.campaigns import update_mail_send, update_message
from fundraising.services.donors import (
    UNSUBSCRIBE_SALT,
    consent_in_force,
    consent_set,
    donor_from_unsubscribe_token,
    donors_contactable,
    unsubscribe_token,
    unsubscribe_url,
)
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)

pytestmark = pytest.mark.django_db

STOPPED = "You will not receive news from Fondazione Comunitaria di Cremona any more."
ALREADY = "You had already stopped the news from Fondazione Comunitaria di Cremona"
INVALID = "This link is not valid"


@pytest.fixture
def world():
    org = collector(name="Fondazione Comunitaria di Cremona", email="dona@fondazione.example.org")
    other_org = collector(name="Cooperativa Altrove")
    campaign = CampaignFactory(organisation=org, title="Nonni in rete")
    owner = fundraiser(org)
    maria = DonorFactory(first_name="Maria", last_name="Verdi", email="maria@example.org")
    luca = DonorFactory(first_name="Luca", last_name="Neri", email="luca@example.org")
    for donor in (maria, luca):
        DonationFactory(
            campaign=campaign,
            donor=donor,
            amount=Decimal("20"),
            status=DonationStatus.RECEIVED,
            received_at=timezone.now(),
        )
        consent_set(donor=donor, organisation=org, given=True, source="form")
    consent_set(donor=maria, organisation=other_org, given=True, source="form")
    return {
        "org": org,
        "other_org": other_org,
        "campaign": campaign,
        "owner": owner,
        "maria": maria,
        "luca": luca,
    }


def news(world, title="Il primo pranzo"):
    return CampaignUpdate.objects.create(
        campaign=world["campaign"],
        title=title,
        body="Eravamo in quaranta.",
        send_by_email=True,
        created_by=world["owner"],
    )


def link(world, donor="maria", org="org"):
    return urlsplit(unsubscribe_url(world[donor], world[org])).path


def withdrawals(world, donor="maria"):
    return ConsentChange.objects.filter(
        donor=world[donor], organisation=world["org"], given=False
    ).count()


def tampered(token):
    last = "A" if token[-1] != "A" else "B"
    return token[:-1] + last


# --- The mail -----------------------------------------------------------------------------


def test_each_news_mail_carries_the_donors_own_link_and_header(world, settings):
    settings.SITE_URL = "https://legami.example.org"
    assert update_mail_send(update_id=news(world).pk) == 2
    by_address = {message.to[0]: message for message in mail.outbox}
    for name in ("maria", "luca"):
        url = unsubscribe_url(world[name], world["org"])
        assert url.startswith("https://legami.example.org/fundraising/notizie/basta/")
        message = by_address[world[name].email]
        assert url in message.body
        assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
        assert message.message()["List-Unsubscribe"] == f"<{url}>"
        # The other ways to stop are still there.
        assert "rispondi a questo messaggio" in message.body  # Italian: no account
        assert "dona@fondazione.example.org" in message.body
    # One link per donor: Maria's does not name Luca.
    assert unsubscribe_url(world["maria"], world["org"]) != unsubscribe_url(
        world["luca"], world["org"]
    )


def test_the_link_in_the_mail_opens_the_page(world, client):
    message = update_message(news(world), world["maria"])
    path = urlsplit(message.extra_headers["List-Unsubscribe"].strip("<>")).path
    response = client.get(path)
    assert response.status_code == 200
    assert "Stop news from Fondazione Comunitaria di Cremona?" in response.content.decode()


def test_an_organisation_without_an_address_still_gives_the_link(world):
    world["org"].email = ""
    world["org"].save()
    message = update_message(news(world), world["maria"])
    assert unsubscribe_url(world["maria"], world["org"]) in message.body
    assert "Oppure comunicalo a Fondazione Comunitaria di Cremona." in message.body


def test_the_token_names_the_donor_and_the_organisation(world):
    token = unsubscribe_token(world["maria"], world["org"])
    assert donor_from_unsubscribe_token(token) == (world["maria"], world["org"])
    assert unsubscribe_token(world["maria"], world["org"]) == token  # the same every time
    # It carries the donor's public id (not their row id nor their e-mail) and is signed.
    assert signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token) == {
        "d": world["maria"].public_id.hex,
        "o": world["org"].pk,
    }
    assert "maria" not in token
    assert donor_from_unsubscribe_token(tampered(token)) is None
    assert donor_from_unsubscribe_token("not-a-token") is None
    assert donor_from_unsubscribe_token("") is None


# --- The page -----------------------------------------------------------------------------


def test_a_get_asks_and_changes_nothing(world, client):
    before = ConsentChange.objects.count()
    response = client.get(link(world))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Stop news from Fondazione Comunitaria di Cremona?" in body
    assert 'method="post"' in body and "csrfmiddlewaretoken" in body
    assert '<meta name="robots" content="noindex, nofollow">' in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert ConsentChange.objects.count() == before
    assert world["maria"] in donors_contactable(world["org"])


def test_a_head_changes_nothing_either(world, client):
    before = ConsentChange.objects.count()
    assert client.head(link(world)).status_code == 405
    assert ConsentChange.objects.count() == before


def test_a_post_withdraws_the_consent(world, client):
    # When Maria confirms on the page
    response = client.post(link(world))
    # Then she is told so
    assert response.status_code == 200
    assert STOPPED in response.content.decode()
    # And her consent is withdrawn by herself, through the link
    change = ConsentChange.objects.filter(donor=world["maria"], organisation=world["org"]).last()
    assert change is not None
    assert change.given is False
    assert change.source == "unsubscribe link"
    assert change.recorded_by is None
    assert consent_in_force(world["maria"], world["org"])[0] is False
    assert world["maria"] not in donors_contactable(world["org"])
    assert world["luca"] in donors_contactable(world["org"])
    # Her consent to the other organisation is untouched
    assert consent_in_force(world["maria"], world["other_org"])[0] is True

    # And the next news is not mailed to her
    assert update_mail_send(update_id=news(world, title="Seconda notizia").pk) == 1
    assert [m.to for m in mail.outbox] == [["luca@example.org"]]


def test_twice_is_harmless_and_says_so(world, client):
    assert STOPPED in client.post(link(world)).content.decode()
    response = client.post(link(world))
    assert response.status_code == 200
    assert ALREADY in response.content.decode()
    assert withdrawals(world) == 1


def test_a_donor_who_had_already_withdrawn_is_told_nothing_changed(world, client):
    later = timezone.now() + dt.timedelta(seconds=1)
    consent_set(
        donor=world["maria"], organisation=world["org"], given=False, source="reply", at=later
    )
    response = client.post(link(world))
    assert ALREADY in response.content.decode()
    assert withdrawals(world) == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_changed_token_is_refused_and_changes_nothing(world, client, method):
    token = unsubscribe_token(world["maria"], world["org"])
    before = ConsentChange.objects.count()
    for bad in (
        tampered(token),
        token[:-5],
        "x" + token,
        "garbage",
        # The same payload signed for another purpose (another salt, or none).
        signing.Signer().sign_object({"d": world["maria"].public_id.hex, "o": world["org"].pk}),
        signing.Signer(salt="something.else").sign_object(
            {"d": world["maria"].public_id.hex, "o": world["org"].pk}
        ),
        signing.dumps(
            {"d": world["maria"].public_id.hex, "o": world["org"].pk}, salt=UNSUBSCRIBE_SALT
        ),
    ):
        response = getattr(client, method)(f"/fundraising/notizie/basta/{bad}/")
        assert response.status_code == 404, bad
        assert INVALID in response.content.decode()
        assert "Stop the news" not in response.content.decode()
    assert ConsentChange.objects.count() == before
    assert world["maria"] in donors_contactable(world["org"])


def test_a_token_for_another_organisation_is_not_made_by_editing_it(world, client):
    """The organisation is inside the signed payload: swapping it breaks the signature."""
    token = unsubscribe_token(world["maria"], world["org"])
    payload = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    assert payload["o"] == world["org"].pk
    token_payload, signature = token.rsplit(":", 1)
    forged_payload = signing.Signer(salt="guess").sign_object(
        {**payload, "o": world["other_org"].pk}
    )
    forged = f"{forged_payload.rsplit(':', 1)[0]}:{signature}"
    assert forged != token
    assert client.post(f"/fundraising/notizie/basta/{forged}/").status_code == 404
    assert consent_in_force(world["maria"], world["other_org"])[0] is True


def test_a_token_signed_with_another_key_is_refused(world, client, settings):
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    forged = unsubscribe_token(world["maria"], world["org"])
    settings.SECRET_KEY = "yet-another-secret-key-" + "y" * 40
    assert client.post(f"/fundraising/notizie/basta/{forged}/").status_code == 404
    assert withdrawals(world) == 0


def test_the_link_of_a_donor_gone_is_not_found(world, client):
    path = link(world, donor="luca")
    world["luca"].donations.all().delete()
    ConsentChange.objects.filter(donor=world["luca"]).delete()
    world["luca"].delete()
    assert client.get(path).status_code == 404


def test_the_page_shows_nothing_about_the_donor(world, client):
    maria = world["maria"]
    for response in (client.get(link(world)), client.post(link(world))):
        body = response.content.decode()
        assert "Fondazione Comunitaria di Cremona" in body
        for secret in (maria.email, maria.first_name, maria.last_name, str(maria.public_id)):
            assert secret not in body


def test_the_post_needs_the_forms_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    # A POST from elsewhere (no CSRF token) is refused and changes nothing
    assert client.post(link(world)).status_code == 403
    assert withdrawals(world) == 0
    # The page's own form goes through
    client.get(link(world))
    token = client.cookies["csrftoken"].value
    response = client.post(link(world), {"csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert withdrawals(world) == 1


def test_a_signed_in_user_unsubscribes_the_links_donor_only(world, client):
    """Whoever holds the link acts for its donor, whoever they are signed in as."""
    client.force_login(world["owner"])
    assert STOPPED in client.post(link(world, donor="luca")).content.decode()
    assert withdrawals(world, donor="luca") == 1
    assert withdrawals(world, donor="maria") == 0
    change = ConsentChange.objects.get(donor=world["luca"], given=False)
    assert change.recorded_by is None


def test_the_page_reads_few_queries(world, client, django_assert_max_num_queries):
    path = link(world)
    with django_assert_max_num_queries(8):
        client.get(path)
