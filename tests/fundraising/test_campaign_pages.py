"""The desk's campaign pages: the list with its filter and progress bars, a campaign's
page, writing, changing, publishing and closing a campaign, its images, news, matching
pledges and costs. A refused change comes back with status 400 and changes nothing;
network administrators read and change nothing; another organisation's campaign is
not on one's desk."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fundraising.models import (
    Campaign,
    CampaignCost,
    CampaignImage,
    CampaignStatus,
    CampaignUpdate,
    DonationStatus,
    MatchingPledge,
)
from fundraising.services import campaigns as services
from legami.models import Ambito, ChangeEvent
from legami.roles import Role
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
DESK = "/fundraising/gestione/campagne/"


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (4, 4)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, kind)
    return buffer.getvalue()


def png(name: str = "foto.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("PNG"), content_type="image/png")


def received(campaign, amount, **kwargs):
    kwargs.setdefault("donor", DonorFactory())
    return DonationFactory(
        campaign=campaign,
        amount=D(amount),
        status=DonationStatus.RECEIVED,
        received_at=timezone.now(),
        **kwargs,
    )


def files_under(root) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def org():
    return collector(name="Fondazione Comunitaria di Cremona")


@pytest.fixture
def owner(org):
    return fundraiser(org)


@pytest.fixture
def desk(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def admin_client(client, make_user, enable_totp):
    admin = make_user("admin@example.org", role=Role.NETWORK_ADMIN)
    enable_totp(admin)
    client.force_login(admin)
    return client


def new_values(org, **changes):
    values = {
        "organisation": org.pk,
        "title": "Pranzi solidali",
        "slug": "pranzi-solidali",
        "summary": "Un pranzo insieme.",
        "story": "Un pranzo insieme ogni domenica.",
        "goal": "5000",
        "starts_on": TODAY().isoformat(),
        "ends_on": (TODAY() + dt.timedelta(days=30)).isoformat(),
    }
    values.update(changes)
    return values


# --- The list ------------------------------------------------------------------------------


def test_the_list_shows_the_desks_campaigns_with_their_progress(desk, org):
    mine = CampaignFactory(organisation=org, title="Nonni in rete", goal=D("1000"))
    received(mine, "250")
    CampaignFactory(organisation=org, title="Bozza", status=CampaignStatus.DRAFT)
    CampaignFactory(title="Campagna di altri")  # another organisation's, published

    response = desk.get(DESK)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nonni in rete" in page and "Bozza" in page
    assert "Campagna di altri" not in page
    assert "€ 250 raised of € 1.000, 25%" in page
    assert 'href="/fundraising/gestione/campagne/nuova/"' in page


def test_the_list_filters_by_status(desk, org):
    CampaignFactory(organisation=org, title="Aperta")
    CampaignFactory(
        organisation=org, title="Chiusa", status=CampaignStatus.CLOSED, closed_at=timezone.now()
    )

    page = desk.get(DESK, {"status": "closed"}).content.decode()

    assert "Chiusa" in page and "Aperta" not in page


def test_an_unknown_status_is_refused(desk):
    assert desk.get(DESK, {"status": "deleted"}).status_code == 400


def test_the_list_is_paginated(desk, org):
    for n in range(30):
        CampaignFactory(organisation=org, title=f"Campagna numero {n:02d}")

    first = desk.get(DESK).content.decode()
    second = desk.get(DESK, {"page": 2}).content.decode()

    assert first.count("Campagna numero") == 25
    assert second.count("Campagna numero") == 5
    assert "Page 2 of 2" in second


def _campaigns_with_gifts_and_pledges(org, n):
    for _ in range(n):
        campaign = CampaignFactory(organisation=org)
        received(campaign, "10")
        MatchingPledge.objects.create(
            campaign=campaign,
            funder=OrganisationFactory(),
            ratio=D("1"),
            cap=D("100"),
            only_if_target_reached=True,
            deadline=TODAY() - dt.timedelta(days=1),
        )


def test_the_lists_queries_do_not_grow_with_its_rows(desk, org):
    _campaigns_with_gifts_and_pledges(org, 2)
    with CaptureQueriesContext(connection) as few:
        assert desk.get(DESK).status_code == 200
    _campaigns_with_gifts_and_pledges(org, 12)
    with CaptureQueriesContext(connection) as many:
        assert desk.get(DESK).status_code == 200
    assert len(many) == len(few)
    assert len(many) <= 20


# --- A campaign's page ---------------------------------------------------------------------


def test_the_campaign_page_shows_progress_pledges_images_news_and_costs(
    desk, org, owner, media, django_assert_max_num_queries
):
    campaign = CampaignFactory(organisation=org, title="Nonni in rete", goal=D("1000"))
    received(campaign, "400")
    received(campaign, "100", anonymous=True)
    DonationFactory(campaign=campaign, amount=D("70"))  # pledged only
    MatchingPledge.objects.create(
        campaign=campaign,
        funder=OrganisationFactory(name="Banca del Territorio"),
        ratio=D("1"),
        cap=D("300"),
        only_if_target_reached=True,
        deadline=campaign.ends_on,
    )
    services.image_add(campaign=campaign, by=owner, image=png(), alt_text="Nonni al parco")
    services.update_post(campaign=campaign, by=owner, title="Primo pranzo", body="In quaranta.")
    services.cost_add(
        campaign=campaign, by=owner, date=TODAY(), description="Volantini", amount="80"
    )

    with django_assert_max_num_queries(25):
        response = desk.get(f"{DESK}{campaign.slug}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "€ 500 raised of € 1.000, 50%" in page
    assert "Banca del Territorio" in page
    assert "paid only if the goal is reached by" in page  # the condition, not yet met
    assert "€ 300,00" in page  # the pledge's cap
    assert "€ 70,00" in page  # pledged, not yet received
    assert 'alt="Nonni al parco"' in page
    assert "Primo pranzo" in page
    assert "Volantini" in page and "€ 80,00" in page
    assert f'href="/fundraising/campagne/{campaign.slug}/"' in page
    assert f'href="{DESK}{campaign.slug}/rendiconto/"' in page
    assert "Close the campaign" in page


def test_the_campaign_pages_queries_do_not_grow_with_its_records(desk, org, owner, media):
    campaign = CampaignFactory(organisation=org)

    def add(n):
        for i in range(n):
            received(campaign, "5")
            MatchingPledge.objects.create(
                campaign=campaign, funder=OrganisationFactory(), ratio=D("1"), cap=D("10")
            )
            services.update_post(campaign=campaign, by=owner, title=f"N{i}", body="x")
            services.cost_add(
                campaign=campaign, by=owner, date=TODAY(), description=f"C{i}", amount="1"
            )

    add(1)
    with CaptureQueriesContext(connection) as few:
        desk.get(f"{DESK}{campaign.slug}/")
    add(8)
    with CaptureQueriesContext(connection) as many:
        desk.get(f"{DESK}{campaign.slug}/")
    assert len(many) == len(few)


def test_another_organisations_campaign_is_not_on_the_desk(desk):
    other = CampaignFactory(title="Di altri")
    assert desk.get(f"{DESK}{other.slug}/").status_code == 404
    response = desk.post(f"{DESK}{other.slug}/chiudi/")
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == CampaignStatus.PUBLISHED


def test_a_network_administrator_reads_and_changes_nothing(admin_client, org):
    campaign = CampaignFactory(organisation=org, title="Nonni in rete")

    page = admin_client.get(f"{DESK}{campaign.slug}/").content.decode()
    assert "Nonni in rete" in page
    assert "only the fundraisers of its organisation change it" in page
    assert "Close the campaign" not in page and "Add a cost" not in page

    response = admin_client.post(f"{DESK}{campaign.slug}/modifica/", new_values(org))
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.title == "Nonni in rete"


def test_a_citizen_has_no_desk(client, make_user):
    client.force_login(make_user("citizen@example.org"))
    assert client.get(DESK).status_code == 403


# --- Writing a campaign --------------------------------------------------------------------


def test_a_fundraiser_writes_a_draft_campaign(desk, org):
    ambito = Ambito.objects.order_by("pk").first()
    values = new_values(org, ambito=ambito.pk if ambito else "")

    response = desk.post(f"{DESK}nuova/", values)

    campaign = Campaign.objects.get(slug="pranzi-solidali")
    assert response.status_code == 302
    assert response["Location"] == f"{DESK}pranzi-solidali/"
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.organisation == org
    assert campaign.goal == D("5000")
    assert campaign.ambito == ambito
    assert ChangeEvent.objects.filter(
        target_type="fundraising.campaign", target_id=str(campaign.pk), action="create"
    ).exists()
    page = desk.get(response["Location"]).content.decode()
    assert "is saved as a draft" in page
    assert "Publish the campaign" in page


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"goal": "0"}, "The goal must be more than zero."),
        ({"title": ""}, "This field is required."),
        (
            {"ends_on": (TODAY() - dt.timedelta(days=1)).isoformat()},
            "The campaign cannot end before it starts.",
        ),
    ],
)
def test_a_wrong_campaign_is_refused_and_nothing_is_made(desk, org, changes, field_error):
    response = desk.post(f"{DESK}nuova/", new_values(org, **changes))

    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_short_name_already_taken_is_refused(desk, org):
    CampaignFactory(slug="pranzi-solidali")
    response = desk.post(f"{DESK}nuova/", new_values(org))
    assert response.status_code == 400
    assert "Another campaign already has this short name." in response.content.decode()
    assert Campaign.objects.count() == 1


def test_a_short_name_of_the_desks_own_pages_is_refused(desk, org):
    response = desk.post(f"{DESK}nuova/", new_values(org, slug="nuova"))
    assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_the_collecting_organisation_is_one_the_fundraiser_raises_funds_for(desk):
    stranger = collector()
    response = desk.post(f"{DESK}nuova/", new_values(stranger))
    assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_a_campaign_funds_an_intervention_or_an_ambito_not_both(desk, org, owner):
    from tests.labs.factories import LabFactory

    lab = LabFactory(status="active")
    ambito = lab.ambito
    from labs.models import Intervention

    intervention = Intervention.objects.create(lab=lab, title="Orti", owner=org, plan="Un orto.")
    values = new_values(org, intervention=intervention.pk, ambito=ambito.pk)

    response = desk.post(f"{DESK}nuova/", values)

    assert response.status_code == 400
    assert "not both" in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_fundraiser_changes_a_campaign(desk, org):
    campaign = CampaignFactory(organisation=org, title="Vecchio titolo", slug="vecchio")
    values = new_values(org, slug="vecchio", title="Nuovo titolo")
    del values["organisation"]

    response = desk.post(f"{DESK}vecchio/modifica/", values)

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Nuovo titolo"
    assert campaign.goal == D("5000")


def test_a_closed_campaign_is_not_changed(desk, org):
    campaign = CampaignFactory(
        organisation=org, title="Chiusa", status=CampaignStatus.CLOSED, closed_at=timezone.now()
    )
    values = new_values(org, slug=campaign.slug, title="Cambiata")

    response = desk.post(f"{DESK}{campaign.slug}/modifica/", values)

    assert response.status_code == 400
    assert "This campaign is closed." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.title == "Chiusa"


def test_publishing_and_closing(desk, org):
    campaign = CampaignFactory(organisation=org, status=CampaignStatus.DRAFT)
    page = desk.get(f"{DESK}{campaign.slug}/").content.decode()
    assert "Publishing makes the campaign's page public" in page

    assert desk.post(f"{DESK}{campaign.slug}/pubblica/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
    page = desk.get(f"{DESK}{campaign.slug}/").content.decode()
    assert "It cannot be undone" in page

    assert desk.post(f"{DESK}{campaign.slug}/chiudi/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CLOSED and campaign.closed_at


def test_a_campaign_without_its_story_is_not_published(desk, org):
    campaign = CampaignFactory(organisation=org, status=CampaignStatus.DRAFT, story="")

    response = desk.post(f"{DESK}{campaign.slug}/pubblica/")

    assert response.status_code == 400
    assert "Tell the campaign&#x27;s story before publishing it." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_a_draft_is_not_closed(desk, org):
    campaign = CampaignFactory(organisation=org, status=CampaignStatus.DRAFT)
    response = desk.post(f"{DESK}{campaign.slug}/chiudi/")
    assert response.status_code == 400
    assert "Only a published campaign can be closed." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


# --- Images --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "extension"), [("PNG", ".png"), ("JPEG", ".jpg"), ("WEBP", ".webp")]
)
def test_an_image_is_added_with_its_text_alternative(desk, org, media, kind, extension):
    campaign = CampaignFactory(organisation=org)
    upload = SimpleUploadedFile("foto.bin", image_bytes(kind), content_type="application/x")

    response = desk.post(
        f"{DESK}{campaign.slug}/immagini/", {"image": upload, "alt_text": "Nonni al parco"}
    )

    assert response.status_code == 302
    image = CampaignImage.objects.get(campaign=campaign)
    assert image.alt_text == "Nonni al parco"
    assert image.image.name.startswith(f"campaigns/{campaign.public_id}/")
    assert image.image.name.endswith(extension)
    assert (media / image.image.name).is_file()
    public = desk.get(f"/fundraising/campagne/{campaign.slug}/").content.decode()
    assert f'src="{image.image.url}" alt="Nonni al parco"' in public
    assert ChangeEvent.objects.filter(
        target_type="fundraising.campaignimage", action="create"
    ).exists()


@pytest.mark.parametrize(
    ("upload", "alt_text", "error"),
    [
        (
            SimpleUploadedFile("finta.png", b"not an image at all", content_type="image/png"),
            "Nonni",
            "Upload a PNG, JPEG or WebP image.",
        ),
        (
            SimpleUploadedFile("anim.gif", image_bytes("GIF"), content_type="image/gif"),
            "Nonni",
            "Upload a PNG, JPEG or WebP image.",
        ),
        (
            SimpleUploadedFile("foto.png", image_bytes("PNG"), content_type="image/png"),
            "   ",
            "This field is required.",
        ),
    ],
    ids=["not-an-image", "gif", "no-alt-text"],
)
def test_a_refused_image_leaves_nothing_behind(desk, org, media, upload, alt_text, error):
    campaign = CampaignFactory(organisation=org)

    response = desk.post(
        f"{DESK}{campaign.slug}/immagini/", {"image": upload, "alt_text": alt_text}
    )

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not CampaignImage.objects.exists()
    assert files_under(media) == []


def test_an_image_too_large_is_refused(desk, org, media, monkeypatch):
    monkeypatch.setattr(services, "IMAGE_MAX_BYTES", 10)
    campaign = CampaignFactory(organisation=org)

    response = desk.post(f"{DESK}{campaign.slug}/immagini/", {"image": png(), "alt_text": "Nonni"})

    assert response.status_code == 400
    assert "larger than 5 MB" in response.content.decode()
    assert files_under(media) == []


def test_an_image_that_fails_to_save_leaves_no_file(org, owner, media, monkeypatch):
    campaign = CampaignFactory(organisation=org)

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "audit_change", broken)
    with pytest.raises(RuntimeError):
        services.image_add(campaign=campaign, by=owner, image=png(), alt_text="Nonni")
    assert files_under(media) == []


def test_images_are_moved_and_removed(desk, org, owner, media, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(organisation=org)
    first = services.image_add(campaign=campaign, by=owner, image=png(), alt_text="Primo")
    second = services.image_add(campaign=campaign, by=owner, image=png(), alt_text="Secondo")

    response = desk.post(f"{DESK}{campaign.slug}/immagini/{second.pk}/sposta/", {"direction": "up"})

    assert response.status_code == 302
    assert list(campaign.images.values_list("alt_text", flat=True)) == ["Secondo", "Primo"]
    path = media / first.image.name
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(f"{DESK}{campaign.slug}/immagini/{first.pk}/rimuovi/")
    assert response.status_code == 302
    assert list(campaign.images.values_list("alt_text", flat=True)) == ["Secondo"]
    assert not path.exists()
    assert ChangeEvent.objects.filter(
        target_type="fundraising.campaignimage", target_id=str(first.pk), action="delete"
    ).exists()


# --- News, pledges, costs ------------------------------------------------------------------


def test_news_is_posted(desk, org):
    campaign = CampaignFactory(organisation=org)
    response = desk.post(
        f"{DESK}{campaign.slug}/notizie/", {"title": "Primo pranzo", "body": "In quaranta."}
    )
    assert response.status_code == 302
    update = CampaignUpdate.objects.get(campaign=campaign)
    assert (update.title, update.send_by_email) == ("Primo pranzo", False)


def test_news_of_a_draft_is_not_mailed(desk, org):
    campaign = CampaignFactory(organisation=org, status=CampaignStatus.DRAFT)
    response = desk.post(
        f"{DESK}{campaign.slug}/notizie/",
        {"title": "Primo pranzo", "body": "In quaranta.", "send_by_email": "on"},
    )
    assert response.status_code == 400
    assert "Publish the campaign before mailing its news." in response.content.decode()
    assert not CampaignUpdate.objects.exists()


def test_a_matching_pledge_is_added(desk, org):
    campaign = CampaignFactory(organisation=org)
    funder = OrganisationFactory(name="Banca del Territorio")

    response = desk.post(
        f"{DESK}{campaign.slug}/impegni/",
        {
            "funder": funder.pk,
            "ratio": "0.50",
            "cap": "2000",
            "only_if_target_reached": "on",
            "deadline": campaign.ends_on.isoformat(),
        },
    )

    assert response.status_code == 302
    pledge = MatchingPledge.objects.get(campaign=campaign)
    assert (pledge.funder, pledge.ratio, pledge.cap) == (funder, D("0.50"), D("2000"))
    assert pledge.only_if_target_reached


def test_a_pledge_with_a_deadline_outside_the_campaign_is_refused(desk, org):
    campaign = CampaignFactory(organisation=org)
    response = desk.post(
        f"{DESK}{campaign.slug}/impegni/",
        {
            "funder": OrganisationFactory().pk,
            "ratio": "1",
            "cap": "100",
            "deadline": (campaign.ends_on + dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "The deadline must fall within the campaign." in response.content.decode()
    assert not MatchingPledge.objects.exists()


def test_costs_of_a_closed_campaign_are_added_and_removed(desk, org):
    campaign = CampaignFactory(
        organisation=org, status=CampaignStatus.CLOSED, closed_at=timezone.now()
    )
    response = desk.post(
        f"{DESK}{campaign.slug}/costi/",
        {"date": TODAY().isoformat(), "description": "Fattura tipografia", "amount": "145.20"},
    )
    assert response.status_code == 302
    cost = CampaignCost.objects.get(campaign=campaign)
    assert cost.amount == D("145.20")

    response = desk.post(f"{DESK}{campaign.slug}/costi/{cost.pk}/rimuovi/")

    assert response.status_code == 302
    assert not CampaignCost.objects.exists()
    event = ChangeEvent.objects.get(
        target_type="fundraising.campaigncost", target_id=str(cost.pk), action="delete"
    )
    assert event.changes["amount"] == ["145.20", None]


def test_a_cost_without_a_description_is_refused(desk, org):
    campaign = CampaignFactory(organisation=org)
    response = desk.post(
        f"{DESK}{campaign.slug}/costi/",
        {"date": TODAY().isoformat(), "description": " ", "amount": "10"},
    )
    assert response.status_code == 400
    assert not CampaignCost.objects.exists()
