"""The public pages of fundraising: the campaigns, a campaign's page with its progress,
matching pledges, donor wall and news, the donation form and the thank-you page with
the bank-transfer instructions."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fundraising.models import (
    CampaignImage,
    CampaignStatus,
    CampaignUpdate,
    ConsentChange,
    Donation,
    DonationStatus,
    Donor,
    DonorKind,
    MatchingPledge,
    Method,
)
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)
from tests.fundraising.fake_stripe import fake_stripe
from tests.partners.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = timezone.localdate


def received(campaign, amount, **kwargs):
    kwargs.setdefault("donor", DonorFactory())
    return DonationFactory(
        campaign=campaign,
        amount=D(amount),
        status=DonationStatus.RECEIVED,
        received_at=timezone.now(),
        **kwargs,
    )


def pledge(campaign, **kwargs):
    kwargs.setdefault("funder", OrganisationFactory())
    kwargs.setdefault("ratio", D("1.00"))
    kwargs.setdefault("cap", D("1000.00"))
    return MatchingPledge.objects.create(campaign=campaign, **kwargs)


def give_url(campaign):
    return f"/fundraising/campagne/{campaign.slug}/dona/"


def gift(**overrides):
    data = {
        "amount": "25",
        "other_amount": "",
        "method": Method.BANK_TRANSFER,
        "kind": DonorKind.PERSON,
        "first_name": "Anna",
        "last_name": "Bianchi",
        "company_name": "",
        "email": "anna.bianchi@example.org",
        "tax_code": "",
        "address": "",
        "postcode": "",
        "city": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def counts():
    return Donor.objects.count(), Donation.objects.count(), ConsentChange.objects.count()


# --- The list of campaigns ----------------------------------------------------------------


def test_the_list_shows_published_campaigns_open_first_with_their_progress(client):
    open_one = CampaignFactory(title="Nonni in rete", goal=D("10000"))
    received(open_one, "3000")
    received(open_one, "450")
    closed = CampaignFactory(
        title="Estate insieme", status=CampaignStatus.CLOSED, closed_at=timezone.now()
    )
    CampaignFactory(title="Bozza segreta", status=CampaignStatus.DRAFT)

    response = client.get("/fundraising/campagne/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nonni in rete" in page and "Estate insieme" in page
    assert "Bozza segreta" not in page
    assert page.index("Nonni in rete") < page.index("Estate insieme")
    assert "€ 3.450 raised of € 10.000, 34%" in page
    assert 'aria-valuenow="34"' in page and "legami-progress-30" in page
    assert "50 days left" in page
    assert open_one.organisation.name in page and closed.organisation.name in page
    assert "closed" in page


def test_the_progress_counts_the_matched_funds_due(client):
    campaign = CampaignFactory(goal=D("10000"))
    received(campaign, "1000")
    pledge(campaign, ratio=D("1.00"), cap=D("500"))  # due: 500
    pledge(campaign, ratio=D("1.00"), cap=D("5000"), only_if_target_reached=True)  # counting

    page = client.get("/fundraising/campagne/").content.decode()

    assert "€ 1.500 raised of € 10.000, 15%" in page


def _many_campaigns(n):
    for i in range(n):
        campaign = CampaignFactory(
            starts_on=TODAY() - dt.timedelta(days=60), ends_on=TODAY() + dt.timedelta(days=i)
        )
        received(campaign, "10")
        pledge(campaign)
        pledge(
            campaign,
            only_if_target_reached=True,
            deadline=TODAY() - dt.timedelta(days=1 + i),
        )


def test_the_list_takes_the_same_queries_for_few_and_many_campaigns(
    client, django_assert_max_num_queries
):
    _many_campaigns(2)
    with django_assert_max_num_queries(4) as few:
        assert client.get("/fundraising/campagne/").status_code == 200
    _many_campaigns(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/fundraising/campagne/").status_code == 200


def test_a_lapsed_pledge_is_not_due_on_the_list(client):
    campaign = CampaignFactory(goal=D("1000"))
    received(campaign, "100", date=TODAY() - dt.timedelta(days=5))
    pledge(
        campaign, only_if_target_reached=True, deadline=TODAY() - dt.timedelta(days=1)
    )  # lapsed: nothing due

    page = client.get("/fundraising/campagne/").content.decode()

    assert "€ 100 raised of € 1.000, 10%" in page


# --- A campaign's page --------------------------------------------------------------------


def png():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile("foto.png", buffer.getvalue(), content_type="image/png")


def test_the_campaign_page_tells_the_story_progress_funders_wall_and_news(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    campaign = CampaignFactory(
        title="Nonni in rete",
        story="Prima riga.\n\nSeconda parte.",
        goal=D("10000"),
        ends_on=dt.date(2026, 12, 31) if TODAY() < dt.date(2026, 12, 31) else TODAY(),
    )
    CampaignImage.objects.create(campaign=campaign, image=png(), alt_text="Nonni al parco")
    maria = DonorFactory(first_name="Maria", last_name="Rossi")
    received(campaign, "3000", donor=maria, on_wall=True)
    received(campaign, "400", anonymous=True)
    received(campaign, "50")  # not on the wall
    DonationFactory(campaign=campaign, amount=D("999"))  # only pledged: not counted
    pledge(campaign, funder=OrganisationFactory(name="Fondazione Comunitaria"), cap=D("2000"))
    pledge(
        campaign,
        funder=OrganisationFactory(name="Banca del Territorio"),
        cap=D("5000"),
        only_if_target_reached=True,
        deadline=dt.date(2026, 12, 31),
    )
    author = fundraiser(campaign.organisation)
    CampaignUpdate.objects.create(
        campaign=campaign,
        title="Prima notizia",
        body="x",
        published_at=timezone.now() - dt.timedelta(days=3),
        created_by=author,
    )
    CampaignUpdate.objects.create(
        campaign=campaign, title="Ultima notizia", body="y", created_by=author
    )

    response = client.get(campaign.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "<p>Prima riga.</p>" in page and "<p>Seconda parte.</p>" in page
    assert 'alt="Nonni al parco"' in page
    assert "€ 10.000" in page and "€ 3.450" in page
    # 3.450 raised + 2.000 due (the conditional pledge is not due yet): 54%.
    assert "€ 5.450 raised of € 10.000, 54%" in page
    assert "Fondazione Comunitaria" in page and "every euro doubled" in page
    assert "up to € 2.000" in page and "Matched so far: € 2.000" in page
    assert "paid only if the goal is reached by 31 December 2026: not yet" in page
    assert "Maria R." in page and "and one anonymous gift" in page
    assert "Rossi" not in page
    assert page.index("Ultima notizia") < page.index("Prima notizia")
    assert response.context["donors"] == 3
    assert 'action="/fundraising/campagne/' in page and ">Give</button>" in page


def test_a_pledge_whose_goal_is_reached_is_due_and_one_past_its_deadline_lapsed(client):
    reached = CampaignFactory(goal=D("100"))
    received(reached, "100")
    pledge(reached, only_if_target_reached=True)
    assert "goal reached: due" in client.get(reached.get_absolute_url()).content.decode()

    lapsed = CampaignFactory(goal=D("1000"))
    received(lapsed, "100", date=TODAY() - dt.timedelta(days=5))
    pledge(lapsed, only_if_target_reached=True, deadline=TODAY() - dt.timedelta(days=1))
    page = client.get(lapsed.get_absolute_url()).content.decode()
    assert ": lapsed" in page and "Matched so far: € 0" in page


def test_the_campaign_page_takes_the_same_queries_for_few_and_many_gifts(
    client, django_assert_max_num_queries
):
    campaign = CampaignFactory()
    received(campaign, "10", on_wall=True)
    pledge(campaign, only_if_target_reached=True, deadline=TODAY() - dt.timedelta(days=1))
    with django_assert_max_num_queries(15) as few:
        assert client.get(campaign.get_absolute_url()).status_code == 200
    for _ in range(10):
        received(campaign, "10", on_wall=True)
        received(campaign, "5", anonymous=True)
        pledge(campaign)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(campaign.get_absolute_url()).status_code == 200


def test_a_draft_is_not_found_by_the_public_and_shown_to_its_fundraiser(client):
    draft = CampaignFactory(status=CampaignStatus.DRAFT)

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.post(give_url(draft), gift()).status_code == 404
    client.force_login(fundraiser(draft.organisation))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "this campaign is not published" in response.content.decode()


def test_another_organisations_fundraiser_does_not_see_a_draft(client):
    draft = CampaignFactory(status=CampaignStatus.DRAFT)
    client.force_login(fundraiser(collector()))
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_a_closed_campaign_shows_no_form_and_refuses_a_gift(client):
    closed = CampaignFactory(status=CampaignStatus.CLOSED, closed_at=timezone.now())
    page = client.get(closed.get_absolute_url()).content.decode()
    assert "<form" not in page.split('id="give-title"')[1].split("</section>")[0]
    assert "This campaign is closed" in page
    before = counts()

    response = client.post(give_url(closed), gift())

    assert response.status_code == 400
    assert "This campaign is not collecting gifts" in response.content.decode()
    assert counts() == before


def test_a_campaign_past_its_end_takes_no_gift(client):
    ended = CampaignFactory(
        starts_on=TODAY() - dt.timedelta(days=20), ends_on=TODAY() - dt.timedelta(days=1)
    )
    assert "ended on" in client.get(ended.get_absolute_url()).content.decode()
    assert client.post(give_url(ended), gift()).status_code == 400
    assert Donation.objects.count() == 0


# --- Giving -------------------------------------------------------------------------------


def test_a_bank_transfer_pledge_makes_the_donor_and_the_gift_with_its_causale(client):
    campaign = CampaignFactory()

    response = client.post(give_url(campaign), gift(tax_code="RSSMRA85T10A562S"))

    donation = Donation.objects.get()
    assert response.status_code == 302
    assert response.url == f"/fundraising/dono/{donation.public_id}/"
    assert donation.campaign == campaign and donation.organisation == campaign.organisation
    assert donation.amount == D("25.00") and donation.method == Method.BANK_TRANSFER
    assert donation.status == DonationStatus.PLEDGED
    assert donation.causale and donation.causale.startswith("DONO-")
    donor = donation.donor
    assert donor is not None
    assert (donor.first_name, donor.last_name, donor.email) == (
        "Anna",
        "Bianchi",
        "anna.bianchi@example.org",
    )
    assert donor.codice_fiscale == "RSSMRA85T10A562S"
    assert (donation.anonymous, donation.on_wall) == (False, False)  # the wall is opt-in


def test_the_thanks_page_shows_where_to_send_the_money_and_nothing_else(client):
    campaign = CampaignFactory()
    profile = campaign.organisation.fundraising_profile
    profile.bic = "BPMOIT22XXX"
    profile.save()
    client.post(give_url(campaign), gift(amount="other", other_amount="1234.50"))
    donation = Donation.objects.get()

    response = client.get(f"/fundraising/dono/{donation.public_id}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert donation.amount == D("1234.50") and "€ 1.234,50" in page
    assert "IT60 X054 2811 1010 0000 0123 456" in page
    assert profile.legal_name in page and "BPMOIT22XXX" in page
    assert f'value="{donation.causale}"' in page and page.count(donation.causale) >= 2
    assert "confirmed when the transfer arrives" in page
    assert "Bianchi" not in page and "anna.bianchi@example.org" not in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_gift_nobody_made_has_no_thanks_page(client):
    assert client.get(f"/fundraising/dono/{uuid.uuid4()}/").status_code == 404
    assert client.get("/fundraising/dono/1/").status_code == 404


def test_card_payment_is_offered_only_when_configured(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    campaign = CampaignFactory()
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert 'value="card"' not in page
    assert client.post(give_url(campaign), gift(method=Method.CARD)).status_code == 400
    assert Donation.objects.count() == 0

    settings.STRIPE_SECRET_KEY = "sk_test_x"  # noqa: S105 - a test value
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"  # noqa: S105 - a test value
    assert 'value="card"' in client.get(campaign.get_absolute_url()).content.decode()


def test_a_card_gift_goes_to_the_providers_payment_page(client, settings):
    campaign = CampaignFactory()
    settings.STRIPE_SECRET_KEY = "sk_test_x"  # noqa: S105 - a test value
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"  # noqa: S105 - a test value
    with fake_stripe() as fake:
        settings.STRIPE_API_BASE = fake.base
        response = client.post(give_url(campaign), gift(method=Method.CARD, amount="50"))

    donation = Donation.objects.get()
    assert response.status_code == 302
    assert response.url == "https://checkout.stripe.test/pay/cs_test_1"
    assert donation.method == Method.CARD and donation.causale is None
    assert donation.provider == "stripe" and donation.status == DonationStatus.PLEDGED
    [request] = fake.requests
    assert request["form"]["client_reference_id"] == str(donation.public_id)
    assert request["form"]["success_url"].endswith(f"/fundraising/dono/{donation.public_id}/")
    assert "IBAN" not in client.get(f"/fundraising/dono/{donation.public_id}/").content.decode()


def test_a_provider_down_gives_a_clear_error_and_records_nothing(client, settings, monkeypatch):
    from fundraising.payments import PaymentUnavailable
    from fundraising.payments.stripe_provider import StripeProvider

    def down(self, **kwargs):
        raise PaymentUnavailable("connection refused")

    monkeypatch.setattr(StripeProvider, "checkout", down)
    settings.STRIPE_SECRET_KEY = "sk_test_x"  # noqa: S105 - a test value
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"  # noqa: S105 - a test value
    campaign = CampaignFactory()
    response = client.post(give_url(campaign), gift(method=Method.CARD, amount="50"))
    assert response.status_code == 400
    assert "Card payment is not available right now" in response.content.decode()
    assert Donation.objects.count() == 0


def test_the_wall_and_anonymity_are_stored_as_chosen(client):
    campaign = CampaignFactory()
    client.post(give_url(campaign), gift(on_wall="on"))
    client.post(give_url(campaign), gift(on_wall="on", anonymous="on", email="b@example.org"))
    client.post(give_url(campaign), gift(anonymous="on", email="c@example.org"))

    stored = list(Donation.objects.order_by("pk").values_list("on_wall", "anonymous"))

    assert stored == [(True, False), (False, True), (False, True)]


def test_consent_is_recorded_only_when_ticked(client):
    campaign = CampaignFactory()
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert f"receive news about its campaigns from {campaign.organisation.name}" in page
    assert (
        'name="consent" id="give-consent"' in page
        and "checked" not in page.split('name="consent"')[1].split(">")[0]
    )

    client.post(give_url(campaign), gift())
    assert ConsentChange.objects.count() == 0

    client.post(give_url(campaign), gift(consent="on", email="b@example.org"))
    [change] = ConsentChange.objects.all()
    assert change.given is True and change.organisation == campaign.organisation
    assert change.donor.email == "b@example.org" and change.recorded_by is None


def test_a_company_gives_with_its_partita_iva(client):
    campaign = CampaignFactory()
    client.post(
        give_url(campaign),
        gift(
            kind=DonorKind.COMPANY,
            first_name="",
            last_name="",
            company_name="Latteria Soresinese",
            tax_code="00743110157",
        ),
    )
    donor = Donor.objects.get()
    assert donor.kind == DonorKind.COMPANY and donor.company_name == "Latteria Soresinese"
    assert donor.partita_iva == "00743110157" and donor.codice_fiscale == ""


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"last_name": ""}, "last_name"),
        ({"kind": DonorKind.COMPANY, "company_name": ""}, "company_name"),
        ({"amount": "other", "other_amount": ""}, "other_amount"),
        ({"amount": "other", "other_amount": "-5"}, "other_amount"),
        ({"amount": "13"}, "amount"),
        ({"method": "cash"}, "method"),
        ({"tax_code": "RSSMRA85T10A562X"}, "tax_code"),  # wrong check letter
    ],
)
def test_a_refused_gift_comes_back_with_its_errors_and_creates_nothing(client, overrides, field):
    campaign = CampaignFactory()
    before = counts()

    response = client.post(give_url(campaign), gift(**overrides))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved. Please correct:" in page
    assert f'id="give-{field}_error"' in page
    assert response.context["form"].errors.get(field)
    assert counts() == before


def test_pages_carry_no_inline_style_or_script(client):
    """The CSP forbids them: the progress bars' widths are classes."""
    campaign = CampaignFactory()
    received(campaign, "1234")
    pledge(campaign)
    refused = client.post(give_url(campaign), gift(email=""))
    client.post(give_url(campaign), gift())
    donation = Donation.objects.get(status=DonationStatus.PLEDGED)
    pages = [
        client.get("/fundraising/campagne/"),
        client.get(campaign.get_absolute_url()),
        refused,
        client.get(f"/fundraising/dono/{donation.public_id}/"),
    ]
    for response in pages:
        html = response.content.decode()
        assert response.status_code in (200, 400)
        assert " style=" not in html
        assert "<script>" not in html
        assert "legami-progress-" in html or "IBAN" in html
