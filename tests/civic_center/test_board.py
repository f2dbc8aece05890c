"""The coopetition board and the market figures, and the matching pages.

The heat map counts open demands by comune and weekly window, shows 1–2 as "<3" out of
the colour scale, lists who covers which comune (no prices) and the gaps where demand
meets no published capacity. The median published price of a service is shown only
when at least five organisations publish in it, on the board and on the public market
page. A coordinator starts one matching run at a time from its page and follows its
progress (polled while queued or running). Query counts do not grow with the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from civic_center import board, windows
from civic_center.models import Agreement, AgreementMember, MatchingRun, RunStatus
from legami.roles import Role
from tests.civic_center.factories import (
    WEEKDAY_AFTERNOONS,
    DemandFactory,
    OfferFactory,
    ServiceCategoryFactory,
)
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
MON_MORNING = windows.index(0, 0)
MON_AFTERNOON = windows.index(0, 1)
TUE_EVENING = windows.index(1, 2)


@pytest.fixture
def ambito():
    return AmbitoFactory(name="Ambito di Cremona")


@pytest.fixture
def cremona(ambito):
    return ComuneFactory(name="Cremona", ambito=ambito)


@pytest.fixture
def pieve(ambito):
    return ComuneFactory(name="Pieve San Giacomo", ambito=ambito)


@pytest.fixture
def service():
    return ServiceCategoryFactory(code="badante", name="Badante condivisa", name_en="Shared carer")


def staff(make_user, enable_totp, org, email, role=Role.PARTNER_STAFF):
    user = make_user(email)
    MembershipFactory(user=user, organisation=org, role=role)
    enable_totp(user)
    return user


@pytest.fixture
def provider(ambito, make_user, enable_totp):
    org = OrganisationFactory(name="Cooperativa Il Sole", ambiti=[ambito])
    return staff(make_user, enable_totp, org, "sole@example.org")


@pytest.fixture
def coordinator(ambito, make_user, enable_totp):
    org = OrganisationFactory(name="Ufficio di piano", ambiti=[ambito])
    return staff(make_user, enable_totp, org, "coord@example.org", Role.COORDINATOR)


@pytest.fixture
def client(provider, client):
    client.force_login(provider)
    return client


def demands(n, comune, service, mask):
    return DemandFactory.create_batch(n, comune=comune, category=service, windows=mask)


def board_url(ambito, service):
    return f"/civic-center/bacheca/?ambito={ambito.pk}&category={service.pk}"


# --- Heat map -------------------------------------------------------------------------------


def test_the_heat_map_counts_open_demand_by_comune_and_window(
    provider, ambito, cremona, pieve, service
):
    demands(4, cremona, service, windows.mask_of([MON_MORNING, MON_AFTERNOON]))
    demands(2, pieve, service, windows.mask_of([MON_MORNING]))
    withdrawn = DemandFactory(comune=pieve, category=service, windows=1 << MON_MORNING)
    withdrawn.status = "withdrawn"
    withdrawn.save()
    DemandFactory(comune=cremona, windows=1 << MON_MORNING)  # another service

    rows = {r.comune: r for r in board.heat_map(provider, ambito=ambito, category=service)}

    assert rows["Cremona"].cells[MON_MORNING].count == 4
    assert rows["Cremona"].cells[MON_AFTERNOON].count == 4
    assert rows["Cremona"].cells[TUE_EVENING].count == 0
    assert rows["Pieve San Giacomo"].cells[MON_MORNING].count == 2
    assert rows["Pieve San Giacomo"].cells[MON_MORNING].suppressed
    assert rows["Pieve San Giacomo"].cells[MON_MORNING].css == "legami-heat-s"
    assert rows["Cremona"].cells[MON_MORNING].css == "legami-heat-5"


def test_small_cells_are_shown_as_less_than_three_and_out_of_the_colours(
    client, ambito, cremona, pieve, service
):
    demands(6, cremona, service, 1 << MON_MORNING)
    demands(3, cremona, service, 1 << MON_AFTERNOON)
    demands(1, pieve, service, 1 << MON_MORNING)

    response = client.get(board_url(ambito, service))

    body = response.content.decode()
    assert response.status_code == 200
    assert '<td class="legami-heat-5 legami-heat-daystart">6</td>' in body
    assert '<td class="legami-heat-3">3</td>' in body
    assert '<td class="legami-heat-s legami-heat-daystart">&lt;3</td>' in body
    assert "left out of the colours" in body
    assert 'style="' not in body.split("<main", 1)[1]


def test_the_board_shows_only_the_ambiti_the_user_serves(client, ambito, cremona, service):
    elsewhere = AmbitoFactory(name="Ambito di Casalmaggiore")
    demands(5, ComuneFactory(ambito=elsewhere), service, WEEKDAY_AFTERNOONS)
    demands(1, cremona, service, WEEKDAY_AFTERNOONS)

    body = client.get(f"/civic-center/bacheca/?ambito={elsewhere.pk}&category={service.pk}")

    assert body.status_code == 400
    content = body.content.decode()
    assert "Ambito di Casalmaggiore" not in content
    assert "Select a valid choice" in content


# --- Coverage and gaps ----------------------------------------------------------------------


def test_who_covers_what_names_organisations_without_prices(
    client, ambito, cremona, pieve, service
):
    demands(1, cremona, service, WEEKDAY_AFTERNOONS)
    rival = OrganisationFactory(name="Cooperativa La Luna")
    OfferFactory(
        organisation=rival,
        category=service,
        comuni=[cremona],
        tiers=[(1, "17.35"), (3, "14.00")],
    )

    body = client.get(board_url(ambito, service)).content.decode()

    assert "Cooperativa La Luna" in body
    assert "17.35" not in body and "14.00" not in body


def test_gaps_are_windows_with_demand_and_no_published_capacity(
    provider, ambito, cremona, pieve, service
):
    demands(3, cremona, service, windows.mask_of([MON_AFTERNOON, TUE_EVENING]))
    demands(1, pieve, service, 1 << MON_AFTERNOON)
    # Cremona is covered on weekday afternoons; nobody covers Pieve, nor Tuesday evening.
    OfferFactory(category=service, comuni=[cremona])
    OfferFactory(category=service, comuni=[pieve], status="draft")

    heat = board.heat_map(provider, ambito=ambito, category=service)
    covered = board.covered_cells(provider, ambito=ambito, category=service)
    found = {(g.comune, g.window, g.shown) for g in board.gaps(heat, covered)}

    assert found == {
        ("Cremona", TUE_EVENING, "3"),
        ("Pieve San Giacomo", MON_AFTERNOON, "<3"),
    }


def test_the_board_page_lists_the_gaps(client, ambito, cremona, service):
    demands(3, cremona, service, 1 << TUE_EVENING)

    body = client.get(board_url(ambito, service)).content.decode()

    assert "Tuesday, evening" in body


def test_the_board_queries_do_not_grow(
    client, ambito, cremona, service, django_assert_max_num_queries
):
    def load(n: int) -> int:
        for _ in range(n):
            comune = ComuneFactory(ambito=ambito)
            demands(1, comune, service, WEEKDAY_AFTERNOONS)
            OfferFactory(category=service, comuni=[comune, cremona])
        with django_assert_max_num_queries(25) as ctx:
            assert client.get(board_url(ambito, service)).status_code == 200
        return len(ctx.captured_queries)

    # From 5 demands and 5 providers on, the medians are read (two queries more): the
    # count is then the same however many rows follow.
    assert load(5) == load(27)


# --- Market figures -------------------------------------------------------------------------


def publish(service, comune, *prices):
    for price in prices:
        OfferFactory(category=service, comuni=[comune], tiers=[(1, price)])


def test_the_median_price_is_hidden_with_fewer_than_five_providers(cremona, service):
    publish(service, cremona, "10.00", "14.00", "16.00", "20.00")

    (figures,) = [f for f in board.market_figures() if f.category == service]

    assert figures.providers == 4
    assert not figures.prices_shown


def test_the_median_price_is_shown_with_five_providers(client, cremona, service):
    publish(service, cremona, "10.00", "12.00", "14.00", "18.00", "20.00")
    demands(5, cremona, service, WEEKDAY_AFTERNOONS)

    (figures,) = [f for f in board.market_figures() if f.category == service]
    body = client.get("/civic-center/mercato/").content.decode()

    assert figures.providers == 5 and figures.median_price == Decimal("14.00")
    assert figures.demands == 5 and figures.median_ceiling == Decimal("12.00")
    assert "€ 14.00" in body


def ceilings(service, comune, *prices):
    for price in prices:
        DemandFactory(comune=comune, category=service, max_unit_price=Decimal(price))


def test_the_median_ceiling_needs_five_open_demands(client, cremona, service):
    """With three or four open demands the count is shown but not the median of their
    ceilings (with three it is one family's ceiling); from five on it is."""
    client.logout()
    ceilings(service, cremona, "11.11", "23.45", "37.77", "41.00")

    (figures,) = [f for f in board.market_figures() if f.category == service]
    body = client.get("/civic-center/mercato/").content.decode()

    assert figures.demands == 4 and figures.median_ceiling is None
    assert "not shown (fewer than 5 demands)" in body
    assert "23.45" not in body and "30.61" not in body and "37.77" not in body

    ceilings(service, cremona, "50.00")

    (figures,) = [f for f in board.market_figures() if f.category == service]
    body = client.get("/civic-center/mercato/").content.decode()

    assert figures.demands == 5 and figures.median_ceiling == Decimal("37.77")
    assert "€ 37.77" in body


@pytest.mark.parametrize(
    ("prices", "median"),
    [
        (["9", "1", "5", "3", "7"], "5.00"),
        (["9", "1", "5", "3", "7", "4"], "4.50"),
        (["10.01", "10.02", "10.02", "10.04", "10.05", "10.06", "10.07"], "10.04"),
    ],
    ids=["odd", "even", "ties"],
)
def test_the_median_ceiling_is_the_middle_of_the_sorted_ceilings(cremona, service, prices, median):
    """The database's middle one (odd count) or the mean of the middle two (even),
    rounded to cents, like ``statistics.median``."""
    ceilings(service, cremona, *prices)

    (figures,) = [f for f in board.market_figures() if f.category == service]

    assert figures.median_ceiling == Decimal(median)


def test_the_board_reads_the_median_ceiling_of_what_the_user_sees(
    provider, ambito, cremona, service
):
    """On the board the median is over the open demand of the user's ambiti only."""
    ceilings(service, cremona, "10.00", "12.00", "14.00", "16.00", "18.00")
    ceilings(service, ComuneFactory(ambito=AmbitoFactory()), "90.00", "95.00", "99.00")

    (mine,) = [f for f in board.board_market_figures(provider) if f.category == service]
    (everyone,) = [f for f in board.market_figures() if f.category == service]

    assert mine.demands == 5 and mine.median_ceiling == Decimal("14.00")
    assert everyone.demands == 8 and everyone.median_ceiling == Decimal("17.00")


def test_the_market_page_queries_and_rows_read_do_not_grow(
    client, cremona, service, django_assert_max_num_queries
):
    """The public market page takes the same queries with 6 or 60 open demands and 5
    or 15 providers, and never reads the demands' ceilings one by one: at most two
    ceilings and two prices per service come back from the database."""
    client.logout()
    ServiceCategoryFactory()  # another active service, with nothing in it

    def load(n: int) -> int:
        ceilings(service, cremona, *[f"{10 + i}.00" for i in range(n)])
        publish(service, cremona, *[f"{20 + i}.00" for i in range(n // 6 * 5)])
        with django_assert_max_num_queries(12) as ctx:
            assert client.get("/civic-center/mercato/").status_code == 200
        for query in ctx.captured_queries:
            sql = query["sql"]
            if '"max_unit_price"' in sql and "GROUP BY" not in sql:
                assert "LIMIT" in sql, sql
        return len(ctx.captured_queries)

    assert load(6) == load(54)


def test_the_public_market_page_hides_prices_of_two_providers(cremona, service, client):
    client.logout()
    publish(service, cremona, "10.00", "20.00")

    response = client.get("/civic-center/mercato/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "not shown (fewer than 5 providers)" in body
    assert "10.00" not in body and "20.00" not in body and "15.00" not in body


def test_demand_figures_of_fewer_than_three_families_are_not_shown(cremona, service, client):
    client.logout()
    DemandFactory(comune=cremona, category=service, max_unit_price=Decimal("23.45"))

    body = client.get("/civic-center/mercato/").content.decode()

    assert "&lt;3" in body
    assert "23.45" not in body


# --- Matching runs --------------------------------------------------------------------------


@pytest.fixture
def coord_client(coordinator, client):
    client.force_login(coordinator)
    return client


def test_starting_a_run_twice_gives_one_active_run(coord_client, ambito, service):
    first = coord_client.post("/civic-center/abbinamenti/", {"ambito": ambito.pk})
    second = coord_client.post(
        "/civic-center/abbinamenti/", {"ambito": ambito.pk, "category": service.pk}
    )

    run = MatchingRun.objects.get()
    assert first.status_code == 302 and second.status_code == 302
    assert first["Location"] == second["Location"] == f"/civic-center/abbinamenti/{run.pk}/"
    assert run.status == RunStatus.QUEUED and run.category is None


def test_a_provider_cannot_start_a_run(client, ambito):
    response = client.post("/civic-center/abbinamenti/", {"ambito": ambito.pk})

    assert response.status_code == 403
    assert not MatchingRun.objects.exists()


def test_the_run_list_offers_only_the_coordinators_ambiti(coord_client, ambito):
    other = AmbitoFactory(name="Ambito di Casalmaggiore")

    response = coord_client.post("/civic-center/abbinamenti/", {"ambito": other.pk})

    assert response.status_code == 400
    assert not MatchingRun.objects.exists()


def test_the_status_partial_polls_while_the_run_is_under_way(coord_client, ambito):
    run = MatchingRun.objects.create(ambito=ambito, status=RunStatus.RUNNING, progress=42)

    running = coord_client.get(f"/civic-center/abbinamenti/{run.pk}/stato/", **HTMX)

    body = running.content.decode()
    assert running.status_code == 200 and "<html" not in body
    assert 'hx-trigger="every 1s"' in body
    assert 'aria-valuenow="42"' in body and "legami-progress-40" in body

    run.status, run.progress, run.groups_proposed = RunStatus.DONE, 100, 2
    run.proven_optimal = True
    run.save()
    done = coord_client.get(f"/civic-center/abbinamenti/{run.pk}/stato/", **HTMX)

    body = done.content.decode()
    assert "hx-trigger" not in body
    assert "Groups proposed" in body and "Proven optimal" in body


def test_the_run_stage_is_shown_in_words(coord_client, ambito):
    """The run's stage code ("matching") is shown as a translated label, never as the
    code; an unknown code is not shown."""
    run = MatchingRun.objects.create(
        ambito=ambito, status=RunStatus.RUNNING, progress=40, stage="matching"
    )

    body = coord_client.get(f"/civic-center/abbinamenti/{run.pk}/stato/", **HTMX).content
    text = " ".join(body.decode().split())

    assert "40% done · forming the groups" in text
    assert "· matching" not in text

    MatchingRun.objects.filter(pk=run.pk).update(stage="something-new")
    body = coord_client.get(f"/civic-center/abbinamenti/{run.pk}/").content.decode()
    assert "something-new" not in body


def test_a_failed_run_shows_a_generic_message_not_the_error(coord_client, ambito):
    """The error of a failed run (a traceback's last line, maybe with data) stays in the
    server log: the page says that the run failed and another can be started."""
    run = MatchingRun.objects.create(
        ambito=ambito,
        status=RunStatus.FAILED,
        progress=40,
        stage="matching",
        error="IntegrityError: duplicate key value (demand_id)=(1234)",
    )

    body = coord_client.get(f"/civic-center/abbinamenti/{run.pk}/").content.decode()
    text = " ".join(body.split())

    assert "IntegrityError" not in body and "duplicate key" not in body
    assert (
        "The run failed; the technical details are in the server log. "
        "You can start another run." in text
    )


def test_the_run_page_of_another_ambito_does_not_exist(coord_client):
    run = MatchingRun.objects.create(ambito=AmbitoFactory())

    assert coord_client.get(f"/civic-center/abbinamenti/{run.pk}/").status_code == 404


def test_a_finished_run_shows_its_figures_and_the_groups_it_proposed(
    coord_client, ambito, cremona, service
):
    run = MatchingRun.objects.create(
        ambito=ambito,
        status=RunStatus.DONE,
        progress=100,
        demands_considered=7,
        families_matched=3,
        groups_proposed=1,
        weekly_cost=Decimal("144.00"),
        proven_optimal=True,
    )
    offer = OfferFactory(category=service, comuni=[cremona], title="Badanti al Duomo")
    agreement = Agreement.objects.create(
        run=run,
        offer=offer,
        group_size=3,
        tier_min_families=3,
        unit_price=Decimal("12.00"),
        single_family_price=Decimal("15.00"),
        start_date=dt.date(2027, 1, 4),
        end_date=dt.date(2027, 3, 29),
        explanation={
            "pool_size": 5,
            "group_size": 3,
            "tier_min_families": 3,
            "unit_price": "12.00",
            "single_family_price": "15.00",
            "mode": "volume",
            "solo": False,
            "min_group_size": 2,
        },
    )

    # The coordinators see the groups of the families of their ambito.
    AgreementMember.objects.create(
        agreement=agreement,
        demand=DemandFactory(comune=cremona, category=service),
        units_per_week=Decimal("4"),
        split={str(MON_AFTERNOON): "4"},
    )

    response = coord_client.get(f"/civic-center/abbinamenti/{run.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "hx-trigger" not in body
    assert '<dd class="col-5 col-md-3">7</dd>' in body and "€ 144.00" in body
    assert "Badanti al Duomo" in body and "3 families at € 12.00 each" in body
    assert "5 families compatible with this offer were waiting" in " ".join(body.split())


@pytest.mark.parametrize("bad", [{"category": "999999"}, {"ambito": "abc"}])
def test_a_filter_value_that_is_not_a_choice_is_refused(client, ambito, cremona, service, bad):
    """An edited address asking for a service or ambito the user cannot choose gets the
    form's error and status 400, not a board of something else."""
    demands(1, cremona, service, WEEKDAY_AFTERNOONS)
    response = client.get(
        "/civic-center/bacheca/", {"ambito": ambito.pk, "category": service.pk, **bad}
    )
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()
    assert client.get(board_url(ambito, service)).status_code == 200
