"""The Civic Center's demo step (see ``legami/demo.py``): the partner cooperatives'
published offers in each ambito — doposcuola, home care for older people, meals at home,
social transport, with price tiers by group size and one joint offer of two consortia
sharing the revenue 60/40 — the demand of about twelve families per ambito, entered by
the demo operator on their behalf, and two demands of the demo citizen; then one
matching run per ambito, carried out at once.

In the Cremona ambito the families of the home-care group accept and the provider
confirms it, so the agreement figures are not zero; the doposcuola group, the demo
citizen's, stays proposed for the citizen to accept or decline, and the citizen's
social-transport demand stays in the pool (one family short of the smallest group), so
the citizen sees how many more families lower the price.

The providers act through their own demo logins: the partners app's Sol.Co staff, and
one partner-staff login for each other consortium that offers here, made as the
partners app makes its logins. Everything goes through the services. An offer is found
again by its title and organisation, a demand by its contact e-mail and service; an
ambito that has had a matching run is not matched again: seeding twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from civic_center import windows as weekly
from civic_center.catalogue import catalogue_ensure
from civic_center.models import (
    Agreement,
    AgreementStatus,
    Demand,
    MatchingRun,
    MemberStatus,
    Offer,
    OfferStatus,
    PricingMode,
    RunStatus,
    ServiceCategory,
)
from civic_center.services import (
    agreement_confirm,
    demand_create,
    member_accept,
    offer_publish,
    offer_save,
    run_execute,
    run_request,
)
from legami.demo import DEMO_EMAIL_DOMAIN, DemoLogin, DemoStep, demo_user_ensure
from legami.models import Ambito, Comune, User
from legami.roles import Role
from partners.demo import DEMO_MEMBERSHIP_START
from partners.models import Membership, Organisation

OPERATOR = "operatore"  # enters the families' demand on their behalf
CITIZEN = "cittadino"
COORDINATOR = "coordinatore"  # runs the matching in the Cremona ambito
NETWORK_ADMIN = "admin.rete"  # runs it where no demo coordinator works
SOLCO = "consorzio-solco-cremona"
ARCOBALENO = "consorzio-arcobaleno"
CASALASCO = "consorzio-casalasco-servizi-sociali"
# Partner staff of each providing organisation: Sol.Co's login is the partners app's;
# the others are made here, as the partners app makes its own.
PROVIDER_STAFF: dict[str, str] = {
    SOLCO: "partner",
    ARCOBALENO: "partner.arcobaleno",
    CASALASCO: "partner.casalasco",
}
EXTRA_PROVIDER_STAFF = {
    "partner.arcobaleno": ("Davide", "Marchesi", ARCOBALENO),
    "partner.casalasco": ("Roberta", "Boldori", CASALASCO),
}

MORNING, AFTERNOON = 0, 1
MON_FRI = (0, 1, 2, 3, 4)
MON_SAT = (0, 1, 2, 3, 4, 5)


def _windows(days: tuple[int, ...], band: int) -> tuple[int, ...]:
    return tuple(weekly.index(day, band) for day in days)


@dataclass(frozen=True)
class DemoOffer:
    key: str
    ambito: str
    organisation: str  # slug of the lead organisation
    title: str
    category: str  # code
    description: str
    comuni: tuple[str, ...]
    pricing_mode: str
    tiers: tuple[tuple[int, str], ...]  # (from families, unit price)
    windows: tuple[int, ...]
    units_per_window: int
    min_group_size: int = 1
    max_group_size: int | None = None
    partners: tuple[tuple[str, int], ...] = ()  # (slug, share %)


OFFERS: tuple[DemoOffer, ...] = (
    # --- Cremona
    DemoOffer(
        "doposcuola-cremona",
        "cremona",
        ARCOBALENO,
        "Doposcuola a Cremona e dintorni",
        "doposcuola",
        "Compiti e studio assistito per la scuola primaria e media, in piccoli gruppi, "
        "con educatori della cooperativa. Più famiglie, prezzo più basso per tutte.",
        ("Cremona", "Castelverde", "Persico Dosimo", "Bonemerse", "Gerre de' Caprioli"),
        PricingMode.VOLUME,
        ((1, "14.00"), (3, "11.00"), (5, "9.00")),
        _windows(MON_FRI, AFTERNOON),
        12,
        max_group_size=10,
    ),
    DemoOffer(
        "assistenza-cremona",
        "cremona",
        SOLCO,
        "Assistenza domiciliare anziani — Cremona",
        "assistenza-domiciliare",
        "Aiuto a casa per la persona anziana: igiene, pasti, compagnia, piccole commissioni. "
        "Operatori ASA e OSS, al mattino dal lunedì al sabato.",
        ("Cremona", "Malagnino", "Sesto ed Uniti", "Spinadesco", "Gadesco-Pieve Delmona"),
        PricingMode.GRADUATED,
        ((1, "22.00"), (2, "19.00"), (4, "17.00")),
        _windows(MON_SAT, MORNING),
        8,
        max_group_size=6,
    ),
    DemoOffer(
        "trasporto-cremona",
        "cremona",
        ARCOBALENO,
        "Trasporto sociale per visite e terapie",
        "trasporto-sociale",
        "Accompagnamento in auto attrezzata a visite, esami e terapie in ospedale, andata e "
        "ritorno. Parte con almeno tre famiglie, così il mezzo si divide.",
        ("Cremona", "Gerre de' Caprioli", "Bonemerse", "Stagno Lombardo", "Pieve d'Olmi"),
        PricingMode.VOLUME,
        ((1, "12.00"), (3, "9.00"), (5, "7.00")),
        _windows(MON_FRI, MORNING),
        6,
        min_group_size=3,
        max_group_size=8,
    ),
    # --- Crema
    DemoOffer(
        "doposcuola-crema",
        "crema",
        ARCOBALENO,
        "Doposcuola nel Cremasco",
        "doposcuola",
        "Compiti e laboratori per bambini e ragazzi nei pomeriggi di scuola, negli oratori "
        "e nelle sale civiche dei comuni serviti.",
        ("Crema", "Offanengo", "Bagnolo Cremasco", "Ripalta Cremasca", "Pianengo", "Izano"),
        PricingMode.VOLUME,
        ((1, "13.50"), (3, "10.50"), (5, "8.50")),
        _windows(MON_FRI, AFTERNOON),
        12,
        max_group_size=10,
    ),
    DemoOffer(
        "assistenza-crema",
        "crema",
        ARCOBALENO,
        "Assistenza domiciliare anziani nel Cremasco",
        "assistenza-domiciliare",
        "Un servizio comune di Consorzio Arcobaleno e Sol.Co: operatori a casa della "
        "persona anziana al mattino, con una sola équipe per i comuni vicini.",
        ("Crema", "Castelleone", "Madignano", "Ripalta Arpina", "Montodine"),
        PricingMode.GRADUATED,
        ((1, "21.00"), (2, "18.00"), (4, "16.00")),
        _windows(MON_FRI, MORNING),
        8,
        max_group_size=6,
        partners=((SOLCO, 40),),
    ),
    DemoOffer(
        "pasti-crema",
        "crema",
        SOLCO,
        "Pasti a domicilio nel Cremasco",
        "pasti-a-domicilio",
        "Il pranzo caldo consegnato a casa dal lunedì al sabato, con menu per diete "
        "speciali. Un giro di consegna in più famiglie costa meno a tutte.",
        ("Crema", "Pandino", "Rivolta d'Adda", "Spino d'Adda", "Dovera"),
        PricingMode.VOLUME,
        ((1, "8.50"), (4, "7.50"), (8, "6.50")),
        _windows(MON_SAT, MORNING),
        12,
    ),
    # --- Casalmaggiore
    DemoOffer(
        "assistenza-casalmaggiore",
        "casalmaggiore",
        CASALASCO,
        "Assistenza domiciliare anziani nel Casalasco",
        "assistenza-domiciliare",
        "Aiuto a casa per la persona anziana e sollievo per chi la assiste, al mattino, "
        "con gli operatori del consorzio.",
        (
            "Casalmaggiore",
            "Gussola",
            "Martignana di Po",
            "Rivarolo del Re ed Uniti",
            "San Giovanni in Croce",
            "Piadena Drizzona",
        ),
        PricingMode.GRADUATED,
        ((1, "20.00"), (2, "18.00"), (4, "16.00")),
        _windows(MON_SAT, MORNING),
        10,
        max_group_size=6,
    ),
    DemoOffer(
        "pasti-casalmaggiore",
        "casalmaggiore",
        CASALASCO,
        "Pasti a domicilio nel Casalasco",
        "pasti-a-domicilio",
        "Il pranzo consegnato a casa dal lunedì al sabato da un centro cottura della zona.",
        ("Casalmaggiore", "Casteldidone", "Spineda", "Rivarolo del Re ed Uniti", "Calvatone"),
        PricingMode.VOLUME,
        ((1, "8.00"), (3, "7.20"), (6, "6.50")),
        _windows(MON_SAT, MORNING),
        10,
    ),
    DemoOffer(
        "doposcuola-casalmaggiore",
        "casalmaggiore",
        SOLCO,
        "Doposcuola nel Casalasco",
        "doposcuola",
        "Studio assistito nei pomeriggi feriali con educatori delle cooperative del consorzio.",
        ("Casalmaggiore", "Gussola", "Motta Baluffi", "San Giovanni in Croce"),
        PricingMode.VOLUME,
        ((1, "13.00"), (3, "10.00"), (5, "8.50")),
        _windows(MON_FRI, AFTERNOON),
        10,
        max_group_size=10,
    ),
)
# The group whose families accept and whose provider confirms it.
CONFIRMED_OFFER = "assistenza-cremona"


@dataclass(frozen=True)
class DemoDemand:
    ambito: str
    name: str  # "" for the demo citizen (the account's own name)
    category: str
    comune: str
    windows: tuple[int, ...]
    quantity: str
    max_price: str
    sharing: bool = True
    address: str = ""

    @property
    def local_part(self) -> str:
        surname = self.name.split()[-1].lower().replace("'", "")
        return f"famiglia.{surname}"


DEMANDS: tuple[DemoDemand, ...] = (
    # --- Cremona: a doposcuola group of five, a home-care group of three and a family
    # served alone, a social transport one family short, demand nobody offers yet.
    DemoDemand("cremona", "Laura Cavalli", "doposcuola", "Cremona",
               _windows((0, 2, 4), AFTERNOON), "6", "12.00", address="Via Bissolati 21"),
    DemoDemand("cremona", "Stefano Ghisolfi", "doposcuola", "Castelverde",
               _windows((1, 3), AFTERNOON), "4", "12.00", address="Via Roma 4"),
    DemoDemand("cremona", "Valentina Sarzi", "doposcuola", "Persico Dosimo",
               _windows(MON_FRI, AFTERNOON), "5", "11.00", address="Via Dante 8"),
    DemoDemand("cremona", "Alessandro Feraboli", "doposcuola", "Bonemerse",
               _windows((0, 1, 2), AFTERNOON), "3", "10.00", address="Via Garibaldi 15"),
    DemoDemand("cremona", "Giovanna Manfredini", "assistenza-domiciliare", "Cremona",
               _windows((0, 2, 4), MORNING), "6", "21.00", address="Via Giuseppina 33"),
    DemoDemand("cremona", "Roberto Dolci", "assistenza-domiciliare", "Malagnino",
               _windows((1, 3), MORNING), "4", "20.00", address="Via Mazzini 2"),
    DemoDemand("cremona", "Carla Barbieri", "assistenza-domiciliare", "Sesto ed Uniti",
               _windows(MON_SAT, MORNING), "8", "20.00", address="Piazza della Chiesa 3"),
    DemoDemand("cremona", "Luigi Bertoletti", "assistenza-domiciliare", "Spinadesco",
               _windows((0, 1), MORNING), "3", "25.00", sharing=False,
               address="Via Po 12"),
    DemoDemand("cremona", "Pietro Zanacchi", "trasporto-sociale", "Stagno Lombardo",
               _windows((1,), MORNING), "1", "9.50", address="Via Argine 7"),
    DemoDemand("cremona", "Franca Pedrazzini", "pulizie", "Cremona",
               _windows((0,), MORNING), "3", "15.00", address="Via Platina 40"),
    DemoDemand("cremona", "Marco Arcari", "doposcuola", "Pizzighettone",
               _windows(MON_FRI, AFTERNOON), "5", "12.00", address="Via Boneschi 5"),
    DemoDemand("cremona", "Elisa Maffi", "assistenza-domiciliare", "Soresina",
               _windows(MON_FRI, MORNING), "5", "18.00", address="Via Genala 18"),
    # --- Crema
    DemoDemand("crema", "Chiara Bonizzi", "doposcuola", "Crema",
               _windows((0, 2, 4), AFTERNOON), "6", "11.00", address="Via XX Settembre 30"),
    DemoDemand("crema", "Matteo Guerini", "doposcuola", "Offanengo",
               _windows((1, 3), AFTERNOON), "4", "11.00", address="Via Circonvallazione 9"),
    DemoDemand("crema", "Sara Tolasi", "doposcuola", "Bagnolo Cremasco",
               _windows(MON_FRI, AFTERNOON), "5", "10.50", address="Via Libertà 22"),
    DemoDemand("crema", "Davide Rossoni", "doposcuola", "Pianengo",
               _windows((0, 1), AFTERNOON), "3", "14.00", sharing=False,
               address="Via Vittorio Veneto 6"),
    DemoDemand("crema", "Angela Marazzi", "assistenza-domiciliare", "Castelleone",
               _windows((0, 2, 4), MORNING), "6", "20.00", address="Via Quadelle 11"),
    DemoDemand("crema", "Giuseppe Cattaneo", "assistenza-domiciliare", "Madignano",
               _windows((1, 3), MORNING), "4", "20.00", address="Via Oriolo 3"),
    DemoDemand("crema", "Rosa Venturelli", "assistenza-domiciliare", "Crema",
               _windows(MON_FRI, MORNING), "5", "19.00", address="Via Mercato 14"),
    DemoDemand("crema", "Ernesto Bianchessi", "pasti-a-domicilio", "Pandino",
               _windows(MON_SAT, MORNING), "6", "8.00", address="Via Umberto I 19"),
    DemoDemand("crema", "Lucia Premoli", "pasti-a-domicilio", "Rivolta d'Adda",
               _windows(MON_FRI, MORNING), "5", "8.00", address="Via Porta Cremasca 2"),
    DemoDemand("crema", "Gianni Moretti", "pasti-a-domicilio", "Spino d'Adda",
               _windows(MON_SAT, MORNING), "6", "9.00", address="Via Milano 27"),
    DemoDemand("crema", "Teresa Zucchelli", "pasti-a-domicilio", "Crema",
               _windows(MON_FRI, MORNING), "5", "7.50", address="Via Cavour 41"),
    DemoDemand("crema", "Paolo Scotti", "doposcuola", "Soncino",
               _windows(MON_FRI, AFTERNOON), "4", "12.00", address="Via IV Novembre 8"),
    # --- Casalmaggiore
    DemoDemand("casalmaggiore", "Ivana Bottoli", "assistenza-domiciliare", "Casalmaggiore",
               _windows((0, 2, 4), MORNING), "6", "19.00", address="Via Cairoli 12"),
    DemoDemand("casalmaggiore", "Enrico Azzali", "assistenza-domiciliare", "Gussola",
               _windows((1, 3), MORNING), "4", "19.00", address="Via Nazionale 31"),
    DemoDemand("casalmaggiore", "Maria Ghezzi", "assistenza-domiciliare", "Piadena Drizzona",
               _windows(MON_SAT, MORNING), "9", "21.00", sharing=False,
               address="Via Libertà 5"),
    DemoDemand("casalmaggiore", "Bruno Pasquali", "pasti-a-domicilio", "Casalmaggiore",
               _windows(MON_SAT, MORNING), "6", "7.50", address="Via Baldesio 4"),
    DemoDemand("casalmaggiore", "Nadia Carra", "pasti-a-domicilio", "Spineda",
               _windows(MON_FRI, MORNING), "5", "7.50", address="Via Roma 20"),
    DemoDemand("casalmaggiore", "Renzo Ferrarini", "pasti-a-domicilio", "Calvatone",
               _windows(MON_SAT, MORNING), "6", "8.00", address="Via Chiesa 1"),
    DemoDemand("casalmaggiore", "Federica Mori", "doposcuola", "Casalmaggiore",
               _windows(MON_FRI, AFTERNOON), "5", "10.50", address="Via Porzio 17"),
    DemoDemand("casalmaggiore", "Luca Bertoni", "doposcuola", "Gussola",
               _windows((0, 2), AFTERNOON), "3", "10.00", address="Via Garibaldi 8"),
    DemoDemand("casalmaggiore", "Irene Fontana", "doposcuola", "Motta Baluffi",
               _windows((1, 3), AFTERNOON), "4", "11.00", address="Via Argine Maestro 2"),
    DemoDemand("casalmaggiore", "Giacomo Vezzoni", "trasporto-sociale", "Casalmaggiore",
               _windows((1,), MORNING), "2", "10.00", address="Via Azzo Porzio 9"),
    DemoDemand("casalmaggiore", "Anna Maria Sanfelici", "pasti-a-domicilio",
               "Torricella del Pizzo", _windows(MON_SAT, MORNING), "6", "8.00",
               address="Via Po 3"),
    DemoDemand("casalmaggiore", "Ottavio Pezzali", "pulizie", "Gussola",
               _windows((3,), MORNING), "3", "14.00", address="Via Mazzini 26"),
)  # fmt: skip
# The demo citizen's own demands (Cremona): doposcuola, matched into the group of five
# and left proposed; social transport for a parent, one family short of a group.
CITIZEN_DEMANDS: tuple[DemoDemand, ...] = (
    DemoDemand("cremona", "", "doposcuola", "Cremona", _windows((0, 1, 2, 3), AFTERNOON),
               "4", "12.00", address="Via Palestro 18"),
    DemoDemand("cremona", "", "trasporto-sociale", "Cremona", _windows((1, 3), MORNING),
               "2", "10.00", address="Via Palestro 18"),
)  # fmt: skip
AMBITI = ("cremona", "crema", "casalmaggiore")
PHONE_PREFIX = {"cremona": "0372", "crema": "0373", "casalmaggiore": "0375"}


def _user(local_part: str) -> User:
    return User.objects.get(email=f"{local_part}@{DEMO_EMAIL_DOMAIN}")


def _comuni(names: tuple[str, ...]) -> list[Comune]:
    found = {c.name: c for c in Comune.objects.filter(name__in=names, province="CR")}
    missing = sorted(set(names) - set(found))
    if missing:
        raise LookupError(f"Comuni not loaded: {missing} (the legami step loads them).")
    return [found[name] for name in names]


def _providers(password: str, step: DemoStep) -> tuple[dict[str, User], int]:
    """The partner staff who manage the offers; returns them by organisation and how
    many logins were created or changed."""
    organisations = Organisation.objects.in_bulk(list(PROVIDER_STAFF), field_name="slug")
    changed_count = 0
    for local_part, (first, last, slug) in EXTRA_PROVIDER_STAFF.items():
        user, changed = demo_user_ensure(
            email=f"{local_part}@{DEMO_EMAIL_DOMAIN}",
            first_name=first,
            last_name=last,
            password=password,
        )
        membership, created = Membership.objects.get_or_create(
            user=user,
            organisation=organisations[slug],
            role=Role.PARTNER_STAFF,
            start_date=DEMO_MEMBERSHIP_START,
        )
        if not created and membership.end_date is not None:
            membership.end_date = None
            membership.save(update_fields=["end_date"])
            changed = True
        changed_count += changed or created
        step.logins.append(
            DemoLogin(
                email=user.email, role=Role.PARTNER_STAFF, organisation=organisations[slug].name
            )
        )
    staff = {slug: _user(local_part) for slug, local_part in PROVIDER_STAFF.items()}
    return staff, changed_count


def _offer_ensure(demo: DemoOffer, staff: dict[str, User], today: dt.date) -> tuple[Offer, bool]:
    organisation = Organisation.objects.get(slug=demo.organisation)
    by = staff[demo.organisation]
    offer = Offer.objects.filter(organisation=organisation, title=demo.title).first()
    created = offer is None
    if offer is None:
        partners = [
            (Organisation.objects.get(slug=slug), Decimal(share)) for slug, share in demo.partners
        ]
        offer = offer_save(
            by=by,
            organisation=organisation,
            title=demo.title,
            description=demo.description,
            category=ServiceCategory.objects.get(code=demo.category),
            comuni=_comuni(demo.comuni),
            pricing_mode=demo.pricing_mode,
            min_group_size=demo.min_group_size,
            max_group_size=demo.max_group_size,
            valid_from=today,
            valid_until=today + dt.timedelta(days=365),
            tiers=[(n, Decimal(price)) for n, price in demo.tiers],
            capacity={w: Decimal(demo.units_per_window) for w in demo.windows},
            partners=partners,
        )
    if offer.status == OfferStatus.DRAFT:
        offer = offer_publish(offer=offer, by=by)
    return offer, created


def _demand_ensure(
    demo: DemoDemand, by: User, today: dt.date, *, own: bool, number: int = 0
) -> bool:
    """One family's demand, entered by the operator (``own=False``) or by the family's
    account ``by`` itself; returns whether it was created."""
    category = ServiceCategory.objects.get(code=demo.category)
    email = by.email if own else f"{demo.local_part}@{DEMO_EMAIL_DOMAIN}"
    if Demand.objects.filter(contact_email__iexact=email, category=category).exists():
        return False
    start = today + dt.timedelta(days=14)
    demand_create(
        by=by,
        category=category,
        comune=_comuni((demo.comune,))[0],
        windows=weekly.mask_of(demo.windows),
        start_date=start,
        end_date=start + dt.timedelta(days=182),
        quantity_per_week=Decimal(demo.quantity),
        max_unit_price=Decimal(demo.max_price),
        accepts_sharing=demo.sharing,
        on_behalf=not own,
        contact_name="" if own else demo.name,
        contact_email="" if own else email,
        contact_phone="" if own else f"+39 {PHONE_PREFIX[demo.ambito]} 4561{number:02d}",
        address=demo.address,
    )
    return True


def _match(ambito: Ambito, by: User) -> MatchingRun | None:
    """One matching run of ``ambito``, carried out now (the task it also enqueues on
    commit finds it done and does nothing); None when the ambito was matched already."""
    if (
        MatchingRun.objects.filter(ambito=ambito, status=RunStatus.DONE).exists()
        or Agreement.objects.filter(run__ambito=ambito).exists()
    ):
        return None
    run = run_request(by=by, ambito=ambito)
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def _confirm(offer: Offer, operator: User, provider: User) -> bool:
    """The families of ``offer``'s proposed group accept (through the operator who
    entered their demand) and the provider confirms it; returns whether it did."""
    if offer.agreements.filter(status=AgreementStatus.CONFIRMED).exists():
        return False
    agreement = (
        offer.agreements.filter(status=AgreementStatus.PROPOSED, solo=False).order_by("pk").first()
    )
    if agreement is None:
        return False
    for member in agreement.members.filter(status=MemberStatus.PROPOSED).select_related("demand"):
        member_accept(member=member, by=operator)
    agreement_confirm(agreement=agreement, by=provider)
    return True


def seed(*, password: str) -> DemoStep:
    """Offers in the three ambiti, the families' and the citizen's demand, one matching
    run per ambito and a confirmed group in Cremona. Safe to run again."""
    step = DemoStep(app="civic_center")
    today = timezone.localdate()
    operator = _user(OPERATOR)
    citizen = _user(CITIZEN)
    with transaction.atomic():
        catalogue_ensure(ServiceCategory)
        staff, logins_changed = _providers(password, step)
        step.summary.append(
            gettext("provider logins: %(changed)d created or updated, %(unchanged)d unchanged")
            % {
                "changed": logins_changed,
                "unchanged": len(EXTRA_PROVIDER_STAFF) - logins_changed,
            }
        )

        offers: dict[str, Offer] = {}
        offers_created = 0
        for demo_offer in OFFERS:
            offers[demo_offer.key], created = _offer_ensure(demo_offer, staff, today)
            offers_created += created
        step.summary.append(
            gettext("offers: %(created)d created, %(unchanged)d unchanged")
            % {"created": offers_created, "unchanged": len(OFFERS) - offers_created}
        )

        demands_created = sum(
            _demand_ensure(d, operator, today, own=False, number=i) for i, d in enumerate(DEMANDS)
        )
        demands_created += sum(_demand_ensure(d, citizen, today, own=True) for d in CITIZEN_DEMANDS)
        total = len(DEMANDS) + len(CITIZEN_DEMANDS)
        step.summary.append(
            gettext("demands: %(created)d created, %(unchanged)d unchanged")
            % {"created": demands_created, "unchanged": total - demands_created}
        )

        coordinator = _user(COORDINATOR)
        network_admin = _user(NETWORK_ADMIN)
        done = skipped = 0
        for ambito in Ambito.objects.filter(code__in=AMBITI).order_by("pk"):
            # The demo coordinator works in Cremona; elsewhere the network administrator.
            by = coordinator if ambito.code == "cremona" else network_admin
            run = _match(ambito, by)
            if run is None:
                skipped += 1
                continue
            if run.status == RunStatus.DONE:
                done += 1
            else:
                step.summary.append(
                    gettext("matching run of %(ambito)s: %(status)s %(error)s")
                    % {"ambito": ambito.name, "status": run.status, "error": run.error}
                )
        step.summary.append(
            gettext("matching runs: %(done)d carried out, %(skipped)d already done")
            % {"done": done, "skipped": skipped}
        )

        confirmed_offer = offers[CONFIRMED_OFFER]
        provider = staff[confirmed_offer.organisation.slug]
        confirmed = _confirm(confirmed_offer, operator, provider)
        step.summary.append(
            gettext("groups confirmed: %(confirmed)d") % {"confirmed": int(confirmed)}
        )
    return step
