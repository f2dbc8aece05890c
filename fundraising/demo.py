"""The fundraising demo step (see ``legami/demo.py``): the community foundation collects
for two open campaigns and has one closed last year, with its account.

- "Nessuno resta solo" (Cremona): for the intervention of the Quartiere Po lab when the
  labs step made one; Fondazione Cariplo doubles every euro up to € 5.000, but only if
  the goal is reached by the end (the page shows "not yet").
- "Fondo di comunità dell'ambito cremasco": the Chamber of Commerce adds 50 cents per
  euro up to € 2.000, unconditionally.
- "Natale insieme": closed, with its costs, for the transparency page.
- A monthly gift by standing bank transfer, with its causale.
- A bank statement (camt.053) imported: the transfer of a company's pledge, matched by
  its causale, and a transfer from someone who never pledged, left to review.

Donors: persons with valid codici fiscali (made with python-codicefiscale), two
companies with valid partite IVA, and the demo citizen, whose pledge by bank transfer
waits for the transfer (its causale is in the summary). Gifts by transfer, card, cash
and cheque, some anonymous, some on the donor wall; receipts issued for the received
ones (numbered 1, 2, 3… for the foundation's year). Everything through the services,
as the demo fundraiser; found again by slug: seeding twice adds nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from codicefiscale import codicefiscale
from django.utils import timezone
from django.utils.translation import gettext

from fundraising.models import Campaign, Donation, FundraisingProfile, Method
from fundraising.services.campaigns import (
    campaign_close,
    campaign_create,
    campaign_publish,
    cost_add,
    pledge_add,
    update_post,
)
from fundraising.services.donations import donation_pledge, donation_record, recurring_start
from fundraising.services.donors import donor_create
from fundraising.services.receipts import receipt_issue
from fundraising.services.reconciliation import statement_import
from legami.demo import DEMO_EMAIL_DOMAIN, DemoStep
from legami.models import Ambito, User
from partners.models import Organisation

FOUNDATION = "fondazione-comunitaria-cremona"
# (first name, last name, sex, birth date, birthplace, wall)
PEOPLE = (
    ("Giulia", "Ferrari", "F", "12/03/1978", "Cremona", True),
    ("Marco", "Bodini", "M", "02/07/1965", "Crema", True),
    ("Lucia", "Zanetti", "F", "23/11/1990", "Casalmaggiore", False),
    ("Stefano", "Gatti", "M", "30/01/1958", "Cremona", True),
    ("Elena", "Rizzi", "F", "15/09/1983", "Soresina", False),
    ("Paola", "Arcari", "F", "08/05/1971", "Crema", True),
)
# (company, partita IVA without its check digit; the digit is computed)
COMPANIES = (
    ("Latteria Soresina Demo S.r.l.", "0012345678"),
    ("Officine Padane Demo S.p.A.", "0076543210"),
)


def _piva(base: str) -> str:
    """A partita IVA with its check digit (the Luhn-like Italian rule)."""
    total = 0
    for index, char in enumerate(base):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return base + str((10 - total % 10) % 10)


def camt053(*, iban: str, entries: list[tuple[str, dt.date, str, str, str]]) -> bytes:
    """A camt.053.001.02 statement of the account ``iban`` with incoming transfers, each
    (bank reference, booking date, amount, payer, causale) — what a bank's export looks
    like (the demo's statement; tests build theirs with it too)."""
    from xml.sax.saxutils import escape

    made = timezone.localtime().replace(microsecond=0).isoformat()
    rows = "".join(
        f"""
      <Ntry>
        <Amt Ccy="EUR">{escape(amount)}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{day.isoformat()}</Dt></BookgDt>
        <AcctSvcrRef>{escape(reference)}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <RltdPties><Dbtr><Nm>{escape(payer)}</Nm></Dbtr></RltdPties>
          <RmtInf><Ustrd>{escape(causale)}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""
        for reference, day, amount, payer, causale in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>CAMT053-{made[:10]}</MsgId><CreDtTm>{made}</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-{made[:10]}</Id>
      <CreDtTm>{made}</CreDtTm>
      <Acct><Id><IBAN>{escape(iban)}</IBAN></Id><Ccy>EUR</Ccy></Acct>{rows}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def _day(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def _profile(organisation: Organisation) -> None:
    FundraisingProfile.objects.get_or_create(
        organisation=organisation,
        defaults={
            "legal_name": "Fondazione Comunitaria della Provincia di Cremona ETS",
            "fiscal_code": "93034510192",
            "address": "Via Palestro 32, 26100 Cremona (CR)",
            "iban": "IT22A0503411410000000012345",
            "bic": "BAPPIT21A51",
            "third_sector_body": True,
            "runts_number": "12345",
            "receipt_signatory": "Il Presidente",
        },
    )


def _donors(by: User) -> tuple[list[Any], list[Any], Any]:
    people = []
    for first, last, sex, born, place, wall in PEOPLE:
        code = codicefiscale.encode(
            lastname=last,
            firstname=first,
            gender="F" if sex == "F" else "M",
            birthdate=born,
            birthplace=place,
        )
        donor = donor_create(
            by=by,
            kind="person",
            first_name=first,
            last_name=last,
            codice_fiscale=code,
            email=f"{first.lower()}.{last.lower()}@example.org",
            city="Cremona",
        )
        people.append((donor, wall))
    companies = [
        donor_create(
            by=by,
            kind="company",
            company_name=name,
            partita_iva=_piva(base),
            email=f"amministrazione{index}@example.org",
        )
        for index, (name, base) in enumerate(COMPANIES)
    ]
    citizen = User.objects.get(email=f"cittadino@{DEMO_EMAIL_DOMAIN}")
    anna = donor_create(
        by=None,
        kind="person",
        first_name=citizen.first_name,
        last_name=citizen.last_name,
        email=citizen.email,
        user=citizen,
    )
    return people, companies, anna


def _open_campaign(by: User, organisation: Organisation, **values: Any) -> Campaign:
    campaign = campaign_create(by=by, organisation=organisation, **values)
    return campaign_publish(campaign=campaign, by=by)


def seed(*, password: str) -> DemoStep:
    """Campaigns, pledges, donors, gifts and receipts of the community foundation."""
    step = DemoStep(app="fundraising")
    if Campaign.objects.filter(slug="nessuno-resta-solo").exists():
        step.summary.append(gettext("campaigns: 0 created, 3 unchanged"))
        return step
    foundation = Organisation.objects.get(slug=FOUNDATION)
    fundraiser = User.objects.get(email=f"fundraiser@{DEMO_EMAIL_DOMAIN}")
    _profile(foundation)
    people, companies, anna = _donors(fundraiser)
    from labs.models import Intervention

    intervention = Intervention.objects.order_by("pk").first()
    alone = _open_campaign(
        fundraiser,
        foundation,
        slug="nessuno-resta-solo",
        title="Nessuno resta solo",
        summary="Vicini che si aiutano: compagnia per gli anziani soli del quartiere Po.",
        story=(
            "Nel quartiere Po molte persone anziane vivono sole. Il laboratorio di comunità "
            "ha proposto una rete di vicinato: visite, telefonate, piccoli aiuti.\n\n"
            "Con il tuo dono formiamo i volontari e copriamo i costi del primo anno."
        ),
        goal=Decimal("15000.00"),
        starts_on=_day(-40),
        ends_on=_day(60),
        intervention=intervention,
    )
    cariplo = Organisation.objects.get(slug="fondazione-cariplo")
    pledge_add(
        campaign=alone,
        by=fundraiser,
        funder=cariplo,
        ratio=Decimal("1.00"),
        cap=Decimal("5000.00"),
        only_if_target_reached=True,
    )
    crema = _open_campaign(
        fundraiser,
        foundation,
        slug="fondo-comunita-crema",
        title="Fondo di comunità dell'ambito cremasco",
        summary="Un fondo per le famiglie in difficoltà temporanea dell'ambito di Crema.",
        story="Il fondo aiuta famiglie che attraversano un momento difficile: bollette, "
        "affitto, spese scolastiche. Le decisioni sono prese con i servizi sociali.",
        goal=Decimal("8000.00"),
        starts_on=_day(-20),
        ends_on=_day(90),
        ambito=Ambito.objects.get(code="crema"),
    )
    chamber = Organisation.objects.get(slug="camera-di-commercio-di-cremona")
    pledge_add(campaign=crema, by=fundraiser, funder=chamber, ratio="0.50", cap="2000.00")

    gifts: list[Donation] = []
    methods = (Method.BANK_TRANSFER, Method.CARD, Method.CASH, Method.CHEQUE)
    amounts = ("250.00", "50.00", "100.00", "1000.00", "30.00", "75.00")
    for index, ((donor, wall), amount) in enumerate(zip(people, amounts, strict=True)):
        gifts.append(
            donation_record(
                by=fundraiser,
                donor=donor,
                amount=Decimal(amount),
                method=methods[index % len(methods)],
                received_on=_day(-30 + index * 4),
                campaign=alone if index % 3 else crema,
                on_wall=wall,
            )
        )
    gifts.append(
        donation_record(
            by=fundraiser,
            donor=companies[0],
            amount=Decimal("2500.00"),
            method=Method.BANK_TRANSFER,
            received_on=_day(-10),
            campaign=alone,
            on_wall=True,
        )
    )
    gifts.append(
        donation_record(
            by=fundraiser,
            donor=None,
            amount=Decimal("40.00"),
            method=Method.CASH,
            received_on=_day(-5),
            campaign=alone,
            anonymous=True,
            note="Banchetto al mercato di piazza Stradivari",
        )
    )
    waiting = donation_pledge(
        donor=anna,
        amount=Decimal("35.00"),
        method=Method.BANK_TRANSFER,
        campaign=alone,
        on_wall=True,
    )
    company_pledge = donation_pledge(
        donor=companies[1], amount=Decimal("1200.00"), method=Method.BANK_TRANSFER, campaign=crema
    )
    statement_import(
        organisation=foundation,
        by=fundraiser,
        file_name="estratto-conto-demo.xml",
        data=camt053(
            iban=foundation.fundraising_profile.iban,
            entries=[
                (
                    "DEMO-0001",
                    _day(-2),
                    "1200.00",
                    COMPANIES[1][0].upper(),
                    f"{company_pledge.causale} Fondo di comunita",
                ),
                ("DEMO-0002", _day(-1), "60.00", "BERTOLETTI ANGELO", "Per gli anziani soli"),
            ],
        ),
    )
    company_pledge.refresh_from_db()
    gifts.append(company_pledge)  # received from the statement
    for gift in gifts:
        receipt_issue(donation=gift, by=fundraiser)
    # A monthly gift by standing order: this month's transfer not arrived yet.
    recurring_start(
        donor=people[1][0],
        amount=Decimal("15.00"),
        method=Method.BANK_TRANSFER,
        campaign=alone,
        day_of_month=10,
        by=fundraiser,
    )
    update_post(
        campaign=alone,
        by=fundraiser,
        title="I primi dieci volontari",
        body="Grazie ai primi doni abbiamo formato dieci volontari: le visite sono iniziate.",
    )

    christmas = campaign_create(
        by=fundraiser,
        organisation=foundation,
        slug="natale-insieme",
        title="Natale insieme",
        summary="Pranzi di Natale per chi è solo, nei tre ambiti.",
        story="Pranzi di Natale nelle sale parrocchiali e nei centri anziani dei tre ambiti.",
        goal=Decimal("3000.00"),
        starts_on=_day(-120),
        ends_on=_day(1),
    )
    christmas = campaign_publish(campaign=christmas, by=fundraiser)
    for donor, _wall in people[:3]:
        receipt_issue(
            donation=donation_record(
                by=fundraiser,
                donor=donor,
                amount=Decimal("120.00"),
                method=Method.BANK_TRANSFER,
                received_on=_day(-100),
                campaign=christmas,
            ),
            by=fundraiser,
        )
    cost_add(
        campaign=christmas,
        by=fundraiser,
        date=_day(-95),
        description="Spesa per i pranzi",
        amount=Decimal("210.00"),
    )
    campaign_close(campaign=christmas, by=fundraiser)
    step.summary.append(gettext("campaigns: 3 created, 0 unchanged"))
    step.summary.append(
        gettext(
            "gifts: %(received)d received with receipts, 1 pledged (causale %(causale)s); "
            "a bank statement imported, 1 credit to review"
        )
        % {"received": len(gifts) + 3, "causale": waiting.causale}
    )
    return step
