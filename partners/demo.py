"""The partners app's demo step (see ``legami/demo.py``): the organisations of the
Well-fare Legami network and one demo login for each role, acting for a fitting one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils.translation import gettext

from legami.demo import DEMO_EMAIL_DOMAIN, DemoLogin, DemoStep, demo_user_ensure
from legami.models import Ambito
from legami.roles import Role
from legami.services import DEFAULT_AMBITI, ImportResult, ambiti_ensure_default
from partners.models import Membership, Organisation, OrganisationKind

ALL_AMBITI = tuple(a.code for a in DEFAULT_AMBITI)
# The day the demo memberships start: in the past, and the same on every run.
DEMO_MEMBERSHIP_START = dt.date(2025, 1, 1)


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    kind: str
    ambiti: tuple[str, ...]
    is_funder: bool = False


# The network as the programme names it: the three comuni that lead the ambiti, the
# province, the chamber of commerce, the community foundation, the three bodies that
# manage the piani di zona, the cooperative federations and consortia, the volunteers'
# service centre, and Fondazione Cariplo, which funds the programme.
DEMO_ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(
        "comune-di-cremona", "Comune di Cremona", OrganisationKind.COMUNE, ("cremona",)
    ),
    DemoOrganisation("comune-di-crema", "Comune di Crema", OrganisationKind.COMUNE, ("crema",)),
    DemoOrganisation(
        "comune-di-casalmaggiore",
        "Comune di Casalmaggiore",
        OrganisationKind.COMUNE,
        ("casalmaggiore",),
    ),
    DemoOrganisation(
        "provincia-di-cremona", "Provincia di Cremona", OrganisationKind.ENTE_PUBBLICO, ALL_AMBITI
    ),
    DemoOrganisation(
        "camera-di-commercio-di-cremona",
        "Camera di Commercio di Cremona",
        OrganisationKind.CAMERA_COMMERCIO,
        ALL_AMBITI,
    ),
    DemoOrganisation(
        "fondazione-comunitaria-cremona",
        "Fondazione Comunitaria della Provincia di Cremona",
        OrganisationKind.FONDAZIONE,
        ALL_AMBITI,
    ),
    DemoOrganisation(
        "azienda-sociale-cremonese",
        "Azienda Sociale Cremonese",
        OrganisationKind.AZIENDA_CONSORTILE,
        ("cremona",),
    ),
    DemoOrganisation(
        "comunita-sociale-cremasca",
        "Comunità Sociale Cremasca",
        OrganisationKind.AZIENDA_CONSORTILE,
        ("crema",),
    ),
    DemoOrganisation(
        "consorzio-casalasco-servizi-sociali",
        "Consorzio Casalasco Servizi Sociali",
        OrganisationKind.CONSORZIO,
        ("casalmaggiore",),
    ),
    DemoOrganisation(
        "confcooperative-cremona",
        "Confcooperative Cremona",
        OrganisationKind.ASSOCIAZIONE,
        ALL_AMBITI,
    ),
    DemoOrganisation(
        "legacoop-lombardia", "Legacoop Lombardia", OrganisationKind.ASSOCIAZIONE, ALL_AMBITI
    ),
    DemoOrganisation(
        "consorzio-arcobaleno", "Consorzio Arcobaleno", OrganisationKind.CONSORZIO, ALL_AMBITI
    ),
    DemoOrganisation(
        "consorzio-solco-cremona",
        "Consorzio Sol.Co Cremona",
        OrganisationKind.CONSORZIO,
        ALL_AMBITI,
    ),
    DemoOrganisation("cisvol-cremona", "Cisvol Cremona", OrganisationKind.ASSOCIAZIONE, ALL_AMBITI),
    DemoOrganisation(
        "fondazione-cariplo",
        "Fondazione Cariplo",
        OrganisationKind.FONDAZIONE,
        ALL_AMBITI,
        is_funder=True,
    ),
)


@dataclass(frozen=True)
class DemoPerson:
    local_part: str
    first_name: str
    last_name: str
    role: str
    organisation: str  # slug
    is_superuser: bool = False
    # "app_label.codename" permissions for the Django admin (which makes the person staff).
    admin_permissions: tuple[str, ...] = ()
    is_referent: bool = False  # invites people to the organisation


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("operatore", "Giulia", "Ferrari", Role.OPERATOR, "azienda-sociale-cremonese"),
    DemoPerson(
        "coordinatore",
        "Marco",
        "Bodini",
        Role.COORDINATOR,
        "azienda-sociale-cremonese",
        is_referent=True,
    ),
    DemoPerson(
        "partner",
        "Francesca",
        "Lombardi",
        Role.PARTNER_STAFF,
        "consorzio-solco-cremona",
        is_referent=True,
    ),
    DemoPerson("facilitatore", "Luca", "Galli", Role.FACILITATOR, "cisvol-cremona"),
    DemoPerson("ricercatore", "Chiara", "Bassi", Role.RESEARCHER, "comunita-sociale-cremasca"),
    DemoPerson("fundraiser", "Paolo", "Ghidini", Role.FUNDRAISER, "fondazione-comunitaria-cremona"),
    # The ambito administrator corrects the territory in the admin (a comune's ambito).
    DemoPerson(
        "admin.ambito",
        "Elena",
        "Maffezzoni",
        Role.AMBITO_ADMIN,
        "azienda-sociale-cremonese",
        admin_permissions=("legami.view_ambito", "legami.view_comune", "legami.change_comune"),
    ),
    DemoPerson(
        "admin.rete",
        "Andrea",
        "Zanibelli",
        Role.NETWORK_ADMIN,
        "provincia-di-cremona",
        is_superuser=True,
    ),
    # The data-protection officer reads the access log and answers people's requests.
    DemoPerson("dpo", "Sara", "Rossetti", Role.DPO, "provincia-di-cremona"),
)


def _organisations_ensure() -> tuple[dict[str, Organisation], ImportResult]:
    result = ImportResult()
    ambiti = Ambito.objects.in_bulk(
        [code for o in DEMO_ORGANISATIONS for code in o.ambiti], field_name="code"
    )
    existing = Organisation.objects.prefetch_related("ambiti").in_bulk(
        [o.slug for o in DEMO_ORGANISATIONS], field_name="slug"
    )
    organisations: dict[str, Organisation] = {}
    for demo in DEMO_ORGANISATIONS:
        wanted = {
            "name": demo.name,
            "kind": demo.kind,
            "is_funder": demo.is_funder,
            "is_active": True,
        }
        wanted_ambiti = {ambiti[code].pk for code in demo.ambiti}
        organisation = existing.get(demo.slug)
        if organisation is None:
            organisation = Organisation.objects.create(slug=demo.slug, **wanted)
            organisation.ambiti.set(wanted_ambiti)
            result.created += 1
        else:
            changed = False
            if any(getattr(organisation, k) != v for k, v in wanted.items()):
                for k, v in wanted.items():
                    setattr(organisation, k, v)
                organisation.save(update_fields=list(wanted))
                changed = True
            if {a.pk for a in organisation.ambiti.all()} != wanted_ambiti:
                organisation.ambiti.set(wanted_ambiti)
                changed = True
            if changed:
                result.updated += 1
            else:
                result.unchanged += 1
        organisations[demo.slug] = organisation
    return organisations, result


def _admin_permissions(names: tuple[str, ...]) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    permissions = [
        p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in=[codename for _, codename in wanted]
        )
        if (p.content_type.app_label, p.codename) in wanted
    ]
    if len(permissions) != len(wanted):
        raise LookupError(f"Unknown permissions among {sorted(names)}: run migrate first.")
    return permissions


def seed(*, password: str) -> DemoStep:
    """The partners app's demo step: the network's organisations, and for each role a
    person with a current membership at a fitting organisation. Safe to run again."""
    step = DemoStep(app="partners")
    with transaction.atomic():
        ambiti_ensure_default()
        organisations, result = _organisations_ensure()
        step.summary.append(gettext("organisations: %(summary)s") % {"summary": result.summary()})

        people = ImportResult()
        for person in DEMO_PEOPLE:
            user, changed = demo_user_ensure(
                email=f"{person.local_part}@{DEMO_EMAIL_DOMAIN}",
                first_name=person.first_name,
                last_name=person.last_name,
                password=password,
                is_staff=bool(person.admin_permissions),
                is_superuser=person.is_superuser,
            )
            organisation = organisations[person.organisation]
            membership, created = Membership.objects.get_or_create(
                user=user,
                organisation=organisation,
                role=person.role,
                start_date=DEMO_MEMBERSHIP_START,
            )
            if not created and (
                membership.end_date is not None or membership.is_referent != person.is_referent
            ):
                membership.end_date = None
                membership.is_referent = person.is_referent
                membership.save(update_fields=["end_date", "is_referent"])
                changed = True
            elif created and person.is_referent:
                membership.is_referent = True
                membership.save(update_fields=["is_referent"])
            changed = changed or created
            if person.admin_permissions:
                permissions = _admin_permissions(person.admin_permissions)
                if set(user.user_permissions.all()) != set(permissions):
                    user.user_permissions.set(permissions)
                    changed = True
            if changed:
                people.updated += 1
            else:
                people.unchanged += 1
            step.logins.append(
                DemoLogin(email=user.email, role=person.role, organisation=organisation.name)
            )
        step.summary.append(
            gettext("demo logins: %(changed)d created or updated, %(unchanged)d unchanged")
            % {"changed": people.updated, "unchanged": people.unchanged}
        )
    return step
