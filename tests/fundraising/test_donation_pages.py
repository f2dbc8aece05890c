"""The desk's donation pages: the filtered list with its totals (an unknown filter is a
bad request), a gift in hand recorded as received, a pledge received or cancelled, a
refund (which cancels the receipt), soft credits. Every refusal answers 400 and changes
nothing; another organisation's gift is not found; network administrators read only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from fundraising.models import (
    CampaignStatus,
    Donation,
    DonationStatus,
    Donor,
    Method,
    ReceiptStatus,
    SoftCredit,
    SoftCreditKind,
)
from fundraising.services.receipts import receipt_issue
from legami.models import AccessEvent
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)

pytestmark = pytest.mark.django_db

LIST = "/fundraising/gestione/doni/"
NEW = "/fundraising/gestione/doni/nuovo/"
CF = "RSSMRA85T10A562S"
TODAY = timezone.localdate


def page(donation: Donation, suffix: str = "") -> str:
    return f"/fundraising/gestione/doni/{donation.public_id}/{suffix}"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def org():
    return collector(name="Fondazione Comunitaria")


@pytest.fixture
def campaign(org):
    return CampaignFactory(organisation=org, title="Nonni in rete")


@pytest.fixture
def owner(org):
    return fundraiser(org)


@pytest.fixture
def client_owner(owner):
    return login(owner)


def gift(campaign, **kwargs):
    kwargs.setdefault("status", DonationStatus.PLEDGED)
    if kwargs["status"] in (DonationStatus.RECEIVED, DonationStatus.REFUNDED):
        kwargs.setdefault("received_at", timezone.now())
    return DonationFactory(campaign=campaign, **kwargs)


def state(donation: Donation) -> tuple[str, str]:
    donation.refresh_from_db()
    return donation.status, donation.note


# --- The list -----------------------------------------------------------------------------


def test_the_list_filters_by_status_and_totals_in_the_database(client_owner, campaign):
    gift(campaign, amount=Decimal("10.00"))
    gift(campaign, amount=Decimal("15.50"))
    gift(campaign, amount=Decimal("100.00"), status=DonationStatus.RECEIVED)
    gift(CampaignFactory(), amount=Decimal("999.00"))  # another organisation's

    response = client_owner.get(LIST, {"status": "pledged"})

    assert response.status_code == 200
    totals = response.context["totals"]
    assert totals["count"] == 2 and totals["amount"] == "€ 25,50"
    assert len(response.context["rows"]) == 2
    assert "2 gifts, € 25,50 in all" in response.content.decode()
    assert AccessEvent.objects.filter(action="list", purpose="donations list").count() == 2
    everything = client_owner.get(LIST).context["totals"]
    assert everything["count"] == 3 and everything["received"] == "€ 100,00"


def test_the_list_filters_by_campaign_method_and_period(client_owner, org, campaign):
    other = CampaignFactory(organisation=org, title="Doposcuola")
    wanted = gift(campaign, method=Method.CASH, date=dt.date(2026, 3, 10))
    gift(campaign, method=Method.CARD, date=dt.date(2026, 3, 10))
    gift(campaign, method=Method.CASH, date=dt.date(2026, 5, 1))
    gift(other, method=Method.CASH, date=dt.date(2026, 3, 10))

    response = client_owner.get(
        LIST,
        {"campaign": campaign.pk, "method": "cash", "since": "2026-03-01", "until": "2026-03-31"},
    )

    assert response.status_code == 200
    assert [row["gift"] for row in response.context["rows"]] == [wanted]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lost"},
        {"method": "bitcoin"},
        {"campaign": "999999"},
        {"since": "yesterday"},
        {"since": "2026-05-01", "until": "2026-04-01"},
    ],
)
def test_an_unknown_filter_is_a_bad_request(client_owner, campaign, params):
    gift(campaign)

    assert client_owner.get(LIST, params).status_code == 400


def test_another_organisations_campaign_is_not_a_filter(client_owner, campaign):
    theirs = CampaignFactory()
    gift(theirs)

    assert client_owner.get(LIST, {"campaign": theirs.pk}).status_code == 400


def test_the_list_shows_the_receipt_link(client_owner, owner, campaign):
    donation = gift(campaign, status=DonationStatus.RECEIVED, date=dt.date(2026, 2, 1))
    receipt = receipt_issue(donation=donation, by=owner)

    html = client_owner.get(LIST).content.decode()

    assert f"/fundraising/gestione/ricevute/{receipt.pk}/pdf/" in html
    assert f"No. {receipt.number}/2026" in html


def test_the_list_reads_in_a_bounded_number_of_queries(
    client_owner, owner, campaign, django_assert_max_num_queries
):
    def fill(count):
        for _ in range(count):
            donation = gift(campaign, status=DonationStatus.RECEIVED, date=dt.date(2026, 2, 1))
            receipt_issue(donation=donation, by=owner)
            gift(campaign, donor=DonorFactory())

    fill(1)
    with django_assert_max_num_queries(16) as few:
        assert client_owner.get(LIST).status_code == 200
    fill(12)
    with django_assert_max_num_queries(16) as many:
        assert client_owner.get(LIST).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


# --- A gift in hand -----------------------------------------------------------------------


def record_data(target, **kwargs):
    data = {
        "campaign": target.pk,
        "amount": "40,00",
        "method": Method.CASH,
        "received_on": TODAY().isoformat(),
    }
    data.update(kwargs)
    return data


def test_a_gift_in_hand_is_recorded_as_received_from_a_donor_by_code(client_owner, campaign):
    donor = DonorFactory(codice_fiscale=CF)
    gift(campaign, donor=donor)  # the donor is on the desk

    response = client_owner.post(NEW, record_data(campaign, donor_code=CF.lower()))

    donation = Donation.objects.get(status=DonationStatus.RECEIVED)
    assert response.status_code == 302 and response["Location"] == page(donation)
    assert donation.donor == donor and donation.amount == Decimal("40.00")
    assert donation.organisation == campaign.organisation and donation.date == TODAY()


def test_a_donor_another_organisation_recorded_is_found_by_code_not_by_e_mail(
    client_owner, campaign
):
    """Donors are one record per code across the network: typing the code of a person
    another organisation recorded records the gift to the same donor (now on this desk
    too); their e-mail address alone finds nobody."""
    donor = DonorFactory(codice_fiscale=CF, email="maria@example.org")
    gift(CampaignFactory(), donor=donor)  # another organisation's gift
    refused = client_owner.post(NEW, record_data(campaign, donor_code="maria@example.org"))
    assert refused.status_code == 400
    assert not Donation.objects.filter(organisation=campaign.organisation).exists()

    response = client_owner.post(NEW, record_data(campaign, donor_code=CF))

    donation = Donation.objects.get(organisation=campaign.organisation)
    assert response.status_code == 302 and donation.donor == donor
    assert Donor.objects.count() == 1
    assert client_owner.get(f"/fundraising/gestione/donatori/{donor.public_id}/").status_code == 200


def test_a_gift_from_a_donors_page_names_the_donor(client_owner, campaign):
    donor = DonorFactory(first_name="Giulia", last_name="Verdi")
    gift(campaign, donor=donor)

    form = client_owner.get(NEW, {"donor": str(donor.public_id)})
    response = client_owner.post(NEW, record_data(campaign, donor=str(donor.public_id)))

    assert "Giulia Verdi" in form.content.decode()
    assert response.status_code == 302
    assert Donation.objects.get(status=DonationStatus.RECEIVED).donor == donor


def test_a_gift_without_a_donor_goes_to_the_organisation(client_owner, org):
    response = client_owner.post(
        NEW,
        {
            "organisation": org.pk,
            "amount": "5",
            "method": Method.CASH,
            "received_on": TODAY().isoformat(),
            "anonymous": "on",
            "on_wall": "on",
        },
    )

    donation = Donation.objects.get()
    assert response.status_code == 302
    assert donation.donor is None and donation.campaign is None and donation.organisation == org
    assert donation.anonymous and not donation.on_wall


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"received_on": "2099-01-01"}, "received_on"),
        ({"amount": "0"}, "amount"),
        ({"donor_code": "nobody@example.org"}, "donor_code"),
        ({"campaign": ""}, "campaign"),
    ],
)
def test_a_refused_gift_changes_nothing(client_owner, campaign, change, field):
    response = client_owner.post(NEW, record_data(campaign, **change))

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Donation.objects.exists()


def test_a_draft_or_another_organisations_campaign_is_not_offered(client_owner, org):
    draft = CampaignFactory(organisation=org, status=CampaignStatus.DRAFT)
    theirs = CampaignFactory()

    for campaign in (draft, theirs):
        response = client_owner.post(NEW, record_data(campaign))
        assert response.status_code == 400
        assert response.context["form"].errors["campaign"]
    assert not Donation.objects.exists()


# --- Actions on a gift --------------------------------------------------------------------


def test_a_pledge_is_marked_received_on_a_date(client_owner, campaign):
    pledge = gift(campaign)

    response = client_owner.post(page(pledge, "ricevuto/"), {"received_on": "2026-01-15"})

    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == DonationStatus.RECEIVED and pledge.date == dt.date(2026, 1, 15)
    follow = client_owner.get(response["Location"])
    assert "The gift is recorded as received." in follow.content.decode()


def test_a_pledge_received_in_the_future_is_refused(client_owner, campaign):
    pledge = gift(campaign)

    response = client_owner.post(page(pledge, "ricevuto/"), {"received_on": "2099-01-01"})

    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    assert state(pledge)[0] == DonationStatus.PLEDGED


def test_a_cancelled_pledge_cannot_be_received(client_owner, campaign):
    cancelled = gift(campaign, status=DonationStatus.CANCELLED)

    response = client_owner.post(page(cancelled, "ricevuto/"), {"received_on": "2026-01-15"})

    assert response.status_code == 400
    assert state(cancelled)[0] == DonationStatus.CANCELLED


def test_a_refund_says_why_and_cancels_the_receipt(client_owner, owner, campaign):
    donation = gift(campaign, status=DonationStatus.RECEIVED, date=dt.date(2026, 2, 1))
    receipt = receipt_issue(donation=donation, by=owner)

    refused = client_owner.post(page(donation, "rimborso/"), {"reason": ""})
    done = client_owner.post(page(donation, "rimborso/"), {"reason": "Double payment"})

    assert refused.status_code == 400
    assert done.status_code == 302
    donation.refresh_from_db()
    receipt.refresh_from_db()
    assert donation.status == DonationStatus.REFUNDED and "Double payment" in donation.note
    assert receipt.status == ReceiptStatus.CANCELLED and receipt.cancel_reason == "Double payment"


def test_a_pledge_cannot_be_refunded(client_owner, campaign):
    pledge = gift(campaign)

    response = client_owner.post(page(pledge, "rimborso/"), {"reason": "Why not"})

    assert response.status_code == 400
    assert state(pledge) == (DonationStatus.PLEDGED, "")


def test_a_pledge_is_cancelled_once(client_owner, campaign):
    pledge = gift(campaign)

    done = client_owner.post(page(pledge, "annulla/"), {"reason": "Changed their mind"})
    again = client_owner.post(page(pledge, "annulla/"), {"reason": "Again"}, follow=True)

    assert done.status_code == 302
    assert "This pledge was already cancelled." in again.content.decode()
    assert state(pledge) == (DonationStatus.CANCELLED, "Changed their mind")


def test_a_received_gift_cannot_be_cancelled(client_owner, campaign):
    donation = gift(campaign, status=DonationStatus.RECEIVED)

    response = client_owner.post(page(donation, "annulla/"), {"reason": "Oops"})

    assert response.status_code == 400
    assert state(donation)[0] == DonationStatus.RECEIVED


def test_soft_credits_name_a_donor_or_somebody(client_owner, org, campaign):
    donation = gift(campaign, status=DonationStatus.RECEIVED)
    employer = DonorFactory(kind="company", company_name="Acciaierie Srl", email="hr@acme.it")
    gift(campaign, donor=employer)

    by_donor = client_owner.post(
        page(donation, "credito/"), {"kind": SoftCreditKind.EMPLOYER, "donor_code": "hr@acme.it"}
    )
    by_name = client_owner.post(
        page(donation, "credito/"), {"kind": SoftCreditKind.IN_MEMORY, "name": "Nonna Pina"}
    )
    refused = client_owner.post(page(donation, "credito/"), {"kind": SoftCreditKind.ON_BEHALF})

    assert by_donor.status_code == by_name.status_code == 302
    assert refused.status_code == 400
    credits = list(SoftCredit.objects.filter(donation=donation).order_by("pk"))
    assert [(c.kind, c.donor, c.name) for c in credits] == [
        (SoftCreditKind.EMPLOYER, employer, ""),
        (SoftCreditKind.IN_MEMORY, None, "Nonna Pina"),
    ]
    html = client_owner.get(page(donation)).content.decode()
    assert "Acciaierie Srl" in html and "Nonna Pina" in html


def test_the_page_of_a_gift_shows_its_details(client_owner, campaign):
    donation = gift(
        campaign,
        donor=DonorFactory(first_name="Giulia", last_name="Verdi"),
        amount=Decimal("1234.50"),
        causale="DONO-ABC234",
    )

    html = client_owner.get(page(donation)).content.decode()

    assert "€ 1.234,50" in html and "Giulia Verdi" in html and "DONO-ABC234" in html
    assert "Nonni in rete" in html and "Mark as received" in html


def test_another_organisations_gift_is_not_found(client_owner):
    theirs = gift(CampaignFactory(), status=DonationStatus.RECEIVED)

    assert client_owner.get(page(theirs)).status_code == 404
    for action in ("ricevuto/", "rimborso/", "annulla/", "credito/", "ricevuta/"):
        assert client_owner.post(page(theirs, action), {"reason": "x"}).status_code == 404
    assert state(theirs)[0] == DonationStatus.RECEIVED


def test_a_network_administrator_reads_gifts_and_changes_nothing(network_admin_client, campaign):
    pledge = gift(campaign)
    received = gift(campaign, status=DonationStatus.RECEIVED)

    assert network_admin_client.get(LIST).status_code == 200
    detail = network_admin_client.get(page(pledge))
    assert detail.status_code == 200 and "Mark as received" not in detail.content.decode()
    assert network_admin_client.get(NEW).status_code == 403
    assert (
        network_admin_client.post(page(pledge, "ricevuto/"), {"received_on": "2026-01-01"})
    ).status_code == 403
    assert network_admin_client.post(page(pledge, "annulla/"), {"reason": "x"}).status_code == 403
    assert (
        network_admin_client.post(page(received, "rimborso/"), {"reason": "x"}).status_code == 403
    )
    assert state(pledge)[0] == DonationStatus.PLEDGED
    assert state(received)[0] == DonationStatus.RECEIVED


def test_the_page_of_a_gift_reads_in_a_bounded_number_of_queries(
    client_owner, campaign, django_assert_max_num_queries
):
    donation = gift(campaign, status=DonationStatus.RECEIVED)

    def fill(count):
        for _ in range(count):
            SoftCredit.objects.create(
                donation=donation, kind=SoftCreditKind.EMPLOYER, donor=DonorFactory()
            )

    fill(1)
    with django_assert_max_num_queries(16) as few:
        assert client_owner.get(page(donation)).status_code == 200
    fill(10)
    with django_assert_max_num_queries(16) as many:
        assert client_owner.get(page(donation)).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
