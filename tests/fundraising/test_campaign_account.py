"""The account of a campaign (rendiconto): gifts received by method and the funders'
matched funds as income, the costs, the balance; on the desk, as an XLSX download, and
for each closed campaign on a public page that names no donor but those on the wall."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from fundraising.models import (
    CampaignCost,
    CampaignStatus,
    DonationStatus,
    MatchingPledge,
    Method,
)
from legami.models import AccessEvent
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)
from tests.partners.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = timezone.localdate


def gift(campaign, amount, method=Method.BANK_TRANSFER, status=DonationStatus.RECEIVED, **kw):
    kw.setdefault("donor", DonorFactory())
    return DonationFactory(
        campaign=campaign,
        amount=D(amount),
        method=method,
        status=status,
        received_at=timezone.now() if status != DonationStatus.PLEDGED else None,
        **kw,
    )


@pytest.fixture
def world():
    """By hand: gifts received 100.00 (transfer) + 60.00 (transfer) + 50.00 (card) +
    25.50 (cash) = 235.50 from 4 donors; a pledge of 999 and a refunded 40 do not count.
    Funders: 1:1 up to 100 (due: 100.00), 0.50 per euro only if the goal of 10.000 is
    reached by the end (not yet: not due). Income 235.50 + 100.00 = 335.50; costs
    30.00 + 12.25 = 42.25; balance 293.25."""
    org = collector(name="Fondazione Comunitaria di Cremona")
    owner = fundraiser(org)
    campaign = CampaignFactory(
        organisation=org,
        title="Nonni in rete",
        goal=D("10000"),
        starts_on=TODAY() - dt.timedelta(days=40),
        ends_on=TODAY() + dt.timedelta(days=5),
    )
    maria = DonorFactory(first_name="Maria", last_name="Rossi", wall_name="")
    gift(campaign, "100.00", donor=maria, on_wall=True)
    gift(campaign, "60.00", donor=DonorFactory(first_name="Giovanni", last_name="Verdi"))
    gift(campaign, "50.00", Method.CARD, anonymous=True)
    gift(campaign, "25.50", Method.CASH)
    gift(campaign, "999.00", status=DonationStatus.PLEDGED)
    gift(campaign, "40.00", status=DonationStatus.REFUNDED, refunded_at=timezone.now())
    MatchingPledge.objects.create(
        campaign=campaign,
        funder=OrganisationFactory(name="Banca del Territorio"),
        ratio=D("1.00"),
        cap=D("100.00"),
    )
    MatchingPledge.objects.create(
        campaign=campaign,
        funder=OrganisationFactory(name="Camera di Commercio"),
        ratio=D("0.50"),
        cap=D("5000.00"),
        only_if_target_reached=True,
    )
    for day, what, amount in [(1, "Volantini", "30.00"), (2, "Commissioni carta", "12.25")]:
        CampaignCost.objects.create(
            campaign=campaign,
            date=TODAY() - dt.timedelta(days=day),
            description=what,
            amount=D(amount),
            created_by=owner,
        )
    return {"org": org, "owner": owner, "campaign": campaign}


def close(campaign):
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = timezone.now()
    campaign.save()


def test_the_desk_account_adds_up(world, client, django_assert_max_num_queries):
    client.force_login(world["owner"])
    with django_assert_max_num_queries(25):
        response = client.get(
            f"/fundraising/gestione/campagne/{world['campaign'].slug}/rendiconto/"
        )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Gifts by bank transfer" in page and "€ 160,00" in page
    assert "Gifts by card" in page and "€ 50,00" in page
    assert "Gifts by cash" in page and "€ 25,50" in page
    assert "€ 235,50" in page  # gifts received
    assert "Matched by Banca del Territorio" in page and "€ 100,00" in page
    assert "Matched by Camera di Commercio" in page and "not due" in page
    assert "€ 335,50" in page  # income
    assert "Volantini" in page and "€ 42,25" in page  # costs
    assert "€ 293,25" in page  # balance
    assert "€ 999,00" in page  # still pledged, outside the account
    assert "The campaign is not closed: these figures still change." in page


def test_the_account_downloads_as_xlsx(world, client):
    client.force_login(world["owner"])

    response = client.get(
        f"/fundraising/gestione/campagne/{world['campaign'].slug}/rendiconto/xlsx/"
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "rendiconto-" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Account"]
    sheet = book["Account"]
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert values["Gifts received"] == pytest.approx(235.50)
    assert values["Matched funds due from funders"] == pytest.approx(100.00)
    assert values["Total income"] == pytest.approx(335.50)
    assert values["Volantini"] == pytest.approx(30.00)
    assert values["Total costs"] == pytest.approx(42.25)
    assert values["Balance"] == pytest.approx(293.25)
    assert values["Income"] == "Amount (€)"
    income_cell = next(row[1] for row in sheet.iter_rows() if row[0].value == "Total income")
    assert "€" in income_cell.number_format
    # the download is written to the access log
    assert AccessEvent.objects.filter(
        action=AccessEvent.Action.EXPORT, target_type="fundraising.campaign"
    ).exists()


def test_a_cost_written_like_a_formula_is_shown_not_run(world, client):
    campaign = world["campaign"]
    CampaignCost.objects.create(
        campaign=campaign,
        date=campaign.starts_on,
        description='=HYPERLINK("http://evil.example","clic")',
        amount=Decimal("1.00"),
        created_by=world["owner"],
    )
    client.force_login(world["owner"])
    response = client.get(f"/fundraising/gestione/campagne/{campaign.slug}/rendiconto/xlsx/")
    sheet = load_workbook(io.BytesIO(response.content))["Account"]
    texts = [row[0] for row in sheet.iter_rows(values_only=True) if row and row[0]]
    assert '\'=HYPERLINK("http://evil.example","clic")' in texts


def test_the_public_account_of_a_closed_campaign(world, client):
    campaign = world["campaign"]
    close(campaign)

    response = client.get(f"/fundraising/campagne/{campaign.slug}/rendiconto/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "€ 235,50" in page and "€ 335,50" in page and "€ 293,25" in page
    assert "Volantini" in page and "Commissioni carta" in page
    assert (TODAY() - dt.timedelta(days=1)).strftime("%d/%m/%Y") in page
    assert '<dd class="col-sm-8">4</dd>' in page  # donors
    assert "Maria R." in page  # on the donor wall
    assert "Rossi" not in page
    assert "Giovanni" not in page and "Verdi" not in page  # not on the wall
    assert "€ 999" not in page  # pledges are nobody's business


def test_the_public_page_of_a_closed_campaign_links_to_its_account(world, client):
    campaign = world["campaign"]
    close(campaign)
    page = client.get(f"/fundraising/campagne/{campaign.slug}/").content.decode()
    assert f'href="/fundraising/campagne/{campaign.slug}/rendiconto/"' in page


@pytest.mark.parametrize("status", [CampaignStatus.PUBLISHED, CampaignStatus.DRAFT])
def test_there_is_no_public_account_before_closing(world, client, status):
    campaign = world["campaign"]
    campaign.status = status
    campaign.save()
    client.force_login(world["owner"])  # even its fundraiser
    response = client.get(f"/fundraising/campagne/{campaign.slug}/rendiconto/")
    assert response.status_code == 404


def test_no_public_account_for_an_unknown_campaign(client):
    assert client.get("/fundraising/campagne/nessuna/rendiconto/").status_code == 404
