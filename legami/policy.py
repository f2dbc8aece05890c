"""The access policy of Legami: who may list, read, create, change, delete and export what.

One module decides for every kind of record, and pages, API, exports and the admin all
ask it; no view carries its own rule. Deny by default: a resource or action that has no
rule here is refused to everybody, Django superusers included (being a superuser opens
the technical admin, not people's data).

A rule is a function of the *subject* (the user and what they hold today: roles, the
organisations they hold each role at, the ambiti those organisations serve, the
organisations they are referent of) that returns ``True`` (everything), ``False``
(nothing) or a ``Q`` that selects the records allowed. Rules name other apps' models
only by label and field path, so ``legami`` still imports no app. Each strategy's issue
adds its resources here, and a row per resource to docs/ACCESS.md.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils import timezone

from legami.roles import Role

ADMIN_ROLES = frozenset({Role.AMBITO_ADMIN, Role.NETWORK_ADMIN, Role.DPO})
# The people who work in local welfare, its researchers and its administrators: the
# audience of Wel(l)fare LAB's pathways and library.
NETWORK_STAFF = (
    Role.OPERATOR,
    Role.COORDINATOR,
    Role.PARTNER_STAFF,
    Role.FACILITATOR,
    Role.RESEARCHER,
    Role.AMBITO_ADMIN,
    Role.NETWORK_ADMIN,
)


class Action(enum.StrEnum):
    LIST = "list"
    READ = "read"
    CREATE = "create"
    CHANGE = "change"
    DELETE = "delete"
    EXPORT = "export"


@dataclass(frozen=True)
class Subject:
    """What the policy knows about a user today."""

    user: Any
    orgs_by_role: dict[str, frozenset[int]] = field(default_factory=dict)
    ambiti_by_role: dict[str, frozenset[int]] = field(default_factory=dict)
    referent_of: frozenset[int] = frozenset()

    @property
    def authenticated(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False))

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.orgs_by_role)

    def has(self, *roles: str) -> bool:
        return any(role in self.orgs_by_role for role in roles)

    def orgs(self, *roles: str) -> frozenset[int]:
        return frozenset().union(*(self.orgs_by_role.get(r, frozenset()) for r in roles))

    def ambiti(self, *roles: str) -> frozenset[int]:
        return frozenset().union(*(self.ambiti_by_role.get(r, frozenset()) for r in roles))


ANONYMOUS = Subject(user=None)


def subject_for(user: Any) -> Subject:
    """The subject of ``user`` (memberships current today), computed once per request."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return ANONYMOUS
    cached = getattr(user, "_legami_subject", None)
    if cached is not None:
        return cached
    today = timezone.localdate()
    rows = user.memberships.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today),
        start_date__lte=today,
        organisation__is_active=True,
    ).values_list("role", "organisation_id", "is_referent", "organisation__ambiti")
    orgs: dict[str, set[int]] = {}
    ambiti: dict[str, set[int]] = {}
    referent: set[int] = set()
    for role, org_id, is_referent, ambito_id in rows:
        orgs.setdefault(role, set()).add(org_id)
        ambiti.setdefault(role, set())
        if ambito_id is not None:
            ambiti[role].add(ambito_id)
        if is_referent:
            referent.add(org_id)
    subject = Subject(
        user=user,
        orgs_by_role={r: frozenset(v) for r, v in orgs.items()},
        ambiti_by_role={r: frozenset(v) for r, v in ambiti.items()},
        referent_of=frozenset(referent),
    )
    user._legami_subject = subject
    return subject


Scope = bool | Q
Rule = Callable[[Subject], Scope]


def anyone(s: Subject) -> Scope:
    return True


def nobody(s: Subject) -> Scope:
    return False


def roles(*names: str) -> Rule:
    """Everything, for holders of one of ``names``."""
    return lambda s: s.has(*names)


def either(*rules: Rule) -> Rule:
    """The union of what each rule allows."""

    def rule(s: Subject) -> Scope:
        scopes = [r(s) for r in rules]
        if any(sc is True for sc in scopes):
            return True
        qs = [sc for sc in scopes if isinstance(sc, Q)]
        return reduce(or_, qs) if qs else False

    return rule


def when(condition: Callable[[Subject], bool], q: Callable[[Subject], Q]) -> Rule:
    """``q(s)`` for subjects meeting ``condition``, nothing otherwise."""
    return lambda s: q(s) if condition(s) else False


# --- The rules ------------------------------------------------------------------------------

_REFERENT_GRANTABLE = Q(role__in=[r for r in Role.values if r not in ADMIN_ROLES])

_authenticated = when(lambda s: s.authenticated, lambda s: Q())
_self_user = when(lambda s: s.authenticated, lambda s: Q(pk=s.user.pk))
_own_memberships = when(lambda s: s.authenticated, lambda s: Q(user=s.user.pk))
_ambito_admin_memberships = when(
    lambda s: s.has(Role.AMBITO_ADMIN),
    lambda s: Q(organisation__ambiti__in=s.ambiti(Role.AMBITO_ADMIN)),
)
_referent_memberships = when(
    lambda s: bool(s.referent_of), lambda s: Q(organisation__in=s.referent_of)
)

_coordinated_actors = when(
    lambda s: s.has(Role.COORDINATOR),
    lambda s: Q(actor__memberships__organisation__in=s.orgs(Role.COORDINATOR)),
)


def _case_scope(prefix: str, *, via_referral: bool = True) -> Rule:
    """The cases a person may see, reached through ``prefix`` from the resource ("" for a
    case, "cases__" for a person, "case__" for a diary note, "person__cases__" for a tie):
    a social worker while assigned to the case, or while a referral of it to them is
    accepted and open (unless ``via_referral`` is False: a referral lets the receiving
    worker read the file and work with the person, not run the other service's case); a
    coordinator, every case of the ambiti their organisations serve.
    """

    # The case's id among the cases of the worker's current assignments (accepted
    # referrals): a subquery PostgreSQL runs once and hashes. Joining every case's
    # assignments and referrals and OR-ing across the joins made it scan and join them
    # all (bench/case_list.py: the count of a coordinator's 42,000 people went from
    # ~340 to ~190 ms).
    case_in = f"{prefix}in" if prefix else "pk__in"

    def rule(s: Subject) -> Scope:
        scopes: list[Q] = []
        if s.has(Role.OPERATOR, Role.COORDINATOR):
            assignments = apps.get_model("beneficiaries", "CaseAssignment")._default_manager
            scopes.append(
                Q(
                    **{
                        case_in: assignments.filter(worker=s.user.pk, end__isnull=True).values(
                            "case_id"
                        )
                    }
                )
            )
            if via_referral:
                referrals = apps.get_model("beneficiaries", "Referral")._default_manager
                scopes.append(
                    Q(
                        **{
                            case_in: referrals.filter(
                                receiving_worker=s.user.pk, status="accepted"
                            ).values("case_id")
                        }
                    )
                )
        if s.has(Role.COORDINATOR):
            scopes.append(Q(**{f"{prefix}ambito__in": s.ambiti(Role.COORDINATOR)}))
        return reduce(or_, scopes) if scopes else False

    return rule


def _confidential_scope(s: Subject) -> Scope:
    """Confidential diary notes: the workers assigned to the case now, and coordinators
    of its ambito (not a worker who sees the file through a referral)."""
    scopes: list[Q] = [Q(confidential=False) & q for q in [_as_q(_case_scope("case__")(s))] if q]
    restricted: list[Q] = []
    if s.authenticated:
        restricted.append(
            Q(case__assignments__worker=s.user.pk, case__assignments__end__isnull=True)
        )
    if s.has(Role.COORDINATOR):
        restricted.append(Q(case__ambito__in=s.ambiti(Role.COORDINATOR)))
    if restricted and s.has(Role.OPERATOR, Role.COORDINATOR):
        scopes.append(Q(confidential=True) & reduce(or_, restricted))
    return reduce(or_, scopes) if scopes else False


def _as_q(scope: Scope) -> Q | None:
    if scope is True:
        return Q()
    return scope if isinstance(scope, Q) else None


_case_workers = roles(Role.OPERATOR, Role.COORDINATOR)


def _pact_partner(prefix: str) -> Rule:
    """Pacts (reached through ``prefix``) that a partner organisation of the subject's is
    a signatory of, once proposed: its staff read them to sign and to follow them."""
    return when(
        lambda s: s.has(Role.PARTNER_STAFF),
        lambda s: (
            Q(**{f"{prefix}signatories__organisation__in": s.orgs(Role.PARTNER_STAFF)})
            & ~Q(**{f"{prefix}status": "draft"})
        ),
    )


def _lab_runners(prefix: str) -> Rule:
    """Labs (reached through ``prefix``) the subject runs: as one of its facilitators, as
    administrator of its ambito, or as network administrator. A researcher runs, as a
    facilitator, only the practitioners' labs that hold a research pathway's workshops."""

    def rule(s: Subject) -> Scope:
        if s.has(Role.NETWORK_ADMIN):
            return True
        scopes: list[Q] = []
        if s.has(Role.FACILITATOR):
            scopes.append(Q(**{f"{prefix}facilitators": s.user.pk}))
        elif s.has(Role.RESEARCHER):
            scopes.append(
                Q(**{f"{prefix}facilitators": s.user.pk, f"{prefix}context": "practitioners"})
            )
        if s.has(Role.AMBITO_ADMIN):
            scopes.append(Q(**{f"{prefix}ambito__in": s.ambiti(Role.AMBITO_ADMIN)}))
        return reduce(or_, scopes) if scopes else False

    return rule


def _fundraisers(prefix: str, *, admins_read: bool = True) -> Rule:
    """Records (reached through ``prefix`` to an organisation) of the organisations the
    subject raises funds for; with ``admins_read``, also every record for network
    administrators."""

    def rule(s: Subject) -> Scope:
        if admins_read and s.has(Role.NETWORK_ADMIN):
            return True
        if s.has(Role.FUNDRAISER):
            return Q(**{f"{prefix}in": s.orgs(Role.FUNDRAISER)})
        return False

    return rule


_donor_without_gifts = when(lambda s: s.has(Role.FUNDRAISER), lambda s: Q(donations__isnull=True))


def _own_donor(prefix: str) -> Rule:
    """Donor records (reached through ``prefix``) of the subject's own account."""
    return when(lambda s: s.authenticated, lambda s: Q(**{f"{prefix}user": s.user.pk}))


def _own_demands(prefix: str) -> Rule:
    """Demands (reached through ``prefix``) of the subject's family, or entered by them."""
    return when(
        lambda s: s.authenticated,
        lambda s: Q(**{f"{prefix}family": s.user.pk}) | Q(**{f"{prefix}created_by": s.user.pk}),
    )


def _offer_providers(prefix: str) -> Rule:
    """Offers (reached through ``prefix``) of the subject's organisations, alone or jointly."""
    return when(
        lambda s: s.has(Role.PARTNER_STAFF),
        lambda s: (
            Q(**{f"{prefix}organisation__in": s.orgs(Role.PARTNER_STAFF)})
            | Q(**{f"{prefix}partners__organisation__in": s.orgs(Role.PARTNER_STAFF)})
        ),
    )


def _matching_runners(ambito_lookup: str) -> Rule:
    """Records of the ambiti where the subject runs the matching: coordinators and
    ambito administrators there, network administrators everywhere."""

    def rule(s: Subject) -> Scope:
        if s.has(Role.NETWORK_ADMIN):
            return True
        if s.has(Role.COORDINATOR, Role.AMBITO_ADMIN):
            return Q(**{ambito_lookup: s.ambiti(Role.COORDINATOR, Role.AMBITO_ADMIN)})
        return False

    return rule


_partner_hours = when(
    lambda s: s.has(Role.PARTNER_STAFF),
    lambda s: (
        Q(entries__account__organisation__in=s.orgs(Role.PARTNER_STAFF))
        & Q(pact__signatories__organisation__in=s.orgs(Role.PARTNER_STAFF))
    ),
)

RULES: dict[str, dict[Action, Rule]] = {
    "legami.ambito": {
        Action.LIST: anyone,
        Action.READ: anyone,
        Action.CHANGE: roles(Role.NETWORK_ADMIN),
    },
    "legami.comune": {
        Action.LIST: anyone,
        Action.READ: anyone,
        Action.CHANGE: either(
            roles(Role.NETWORK_ADMIN),
            when(
                lambda s: s.has(Role.AMBITO_ADMIN),
                lambda s: Q(ambito__in=s.ambiti(Role.AMBITO_ADMIN)) | Q(ambito__isnull=True),
            ),
        ),
    },
    "legami.user": {
        Action.LIST: either(
            roles(Role.NETWORK_ADMIN),
            when(
                lambda s: bool(s.referent_of),
                lambda s: Q(memberships__organisation__in=s.referent_of),
            ),
        ),
        Action.READ: either(
            roles(Role.NETWORK_ADMIN),
            _self_user,
            when(
                lambda s: bool(s.referent_of),
                lambda s: Q(memberships__organisation__in=s.referent_of),
            ),
        ),
        Action.CHANGE: either(roles(Role.NETWORK_ADMIN), _self_user),
    },
    "partners.organisation": {
        Action.LIST: either(roles(Role.NETWORK_ADMIN), lambda s: Q(is_active=True)),
        Action.READ: either(roles(Role.NETWORK_ADMIN), lambda s: Q(is_active=True)),
        Action.CREATE: roles(Role.NETWORK_ADMIN),
        Action.CHANGE: roles(Role.NETWORK_ADMIN),
        Action.DELETE: roles(Role.NETWORK_ADMIN),
    },
    "partners.membership": {
        Action.LIST: either(
            roles(Role.NETWORK_ADMIN),
            _ambito_admin_memberships,
            _referent_memberships,
            _own_memberships,
        ),
        Action.READ: either(
            roles(Role.NETWORK_ADMIN),
            _ambito_admin_memberships,
            _referent_memberships,
            _own_memberships,
        ),
        Action.CREATE: either(
            roles(Role.NETWORK_ADMIN),
            when(
                lambda s: bool(s.referent_of),
                lambda s: Q(organisation__in=s.referent_of) & _REFERENT_GRANTABLE,
            ),
        ),
        Action.CHANGE: either(
            roles(Role.NETWORK_ADMIN),
            when(
                lambda s: bool(s.referent_of),
                lambda s: Q(organisation__in=s.referent_of) & _REFERENT_GRANTABLE,
            ),
        ),
    },
    "partners.invitation": {
        Action.LIST: either(roles(Role.NETWORK_ADMIN), _referent_memberships),
        Action.READ: either(roles(Role.NETWORK_ADMIN), _referent_memberships),
        Action.CREATE: either(
            roles(Role.NETWORK_ADMIN),
            when(
                lambda s: bool(s.referent_of),
                lambda s: Q(organisation__in=s.referent_of) & _REFERENT_GRANTABLE,
            ),
        ),
        Action.DELETE: either(roles(Role.NETWORK_ADMIN), _referent_memberships),
    },
    "legami.accessevent": {
        Action.LIST: either(roles(Role.DPO), _coordinated_actors),
        Action.READ: either(roles(Role.DPO), _coordinated_actors),
        Action.EXPORT: either(roles(Role.DPO), _coordinated_actors),
    },
    # A person's own access report ("who read my data"): rows of AccessEvent.
    "legami.own_access_report": {
        Action.LIST: when(lambda s: s.authenticated, lambda s: Q(subject_user=s.user.pk)),
    },
    # --- The social case file (beneficiaries) ---
    "beneficiaries.person": {
        Action.LIST: _case_scope("cases__"),
        Action.READ: _case_scope("cases__"),
        Action.CREATE: _case_workers,
        Action.CHANGE: _case_scope("cases__", via_referral=False),
        Action.EXPORT: when(
            lambda s: s.has(Role.COORDINATOR),
            lambda s: Q(cases__ambito__in=s.ambiti(Role.COORDINATOR)),
        ),
    },
    "beneficiaries.case": {
        Action.LIST: _case_scope(""),
        Action.READ: _case_scope(""),
        # A case is opened by a service for itself: at an organisation where the person
        # works as social worker or coordinator.
        Action.CREATE: when(
            lambda s: s.has(Role.OPERATOR, Role.COORDINATOR),
            lambda s: Q(organisation__in=s.orgs(Role.OPERATOR, Role.COORDINATOR)),
        ),
        Action.CHANGE: _case_scope("", via_referral=False),
    },
    # Need tags are a shared vocabulary: case workers use them, network admins curate them.
    "beneficiaries.needtag": {
        Action.LIST: _case_workers,
        Action.READ: _case_workers,
        Action.CREATE: roles(Role.NETWORK_ADMIN),
        Action.CHANGE: roles(Role.NETWORK_ADMIN),
    },
    "beneficiaries.diarynote": {
        Action.LIST: _confidential_scope,
        Action.READ: _confidential_scope,
        Action.CREATE: _case_scope("case__"),
    },
    "beneficiaries.referral": {
        Action.LIST: either(
            _case_scope("case__"),
            when(
                lambda s: s.has(Role.COORDINATOR),
                lambda s: Q(to_organisation__in=s.orgs(Role.COORDINATOR)),
            ),
        ),
        Action.READ: either(
            _case_scope("case__"),
            when(
                lambda s: s.has(Role.COORDINATOR),
                lambda s: Q(to_organisation__in=s.orgs(Role.COORDINATOR)),
            ),
        ),
        Action.CREATE: _case_scope("case__"),
        # Accepting or declining: a coordinator of the receiving organisation.
        Action.CHANGE: when(
            lambda s: s.has(Role.COORDINATOR),
            lambda s: Q(to_organisation__in=s.orgs(Role.COORDINATOR)),
        ),
    },
    # The parts of a file follow the file: whoever may read the person reads them, and
    # whoever may change the person changes them.
    **{
        f"beneficiaries.{name}": {
            Action.LIST: _case_scope("person__cases__"),
            Action.READ: _case_scope("person__cases__"),
            Action.CREATE: _case_scope("person__cases__"),
            Action.CHANGE: _case_scope("person__cases__"),
            Action.DELETE: _case_scope("person__cases__"),
        }
        for name in (
            "tie",
            "assessment",
            "consent",
            "householdmember",
            "ecomapsnapshot",
            "intake",
            "personarea",
        )
    },
    # --- Generative pacts (pacts) ---
    # The case worker and the coordinator see the whole pact (the case's scope); partner
    # staff see the pacts their organisation is asked to sign or has signed — once the
    # draft is proposed — and of them only the parts that concern the organisation (the
    # selectors and serializers cut the rest: pacts.selectors.partner_view).
    "pacts.pact": {
        Action.LIST: either(_case_scope("case__"), _pact_partner("")),
        Action.READ: either(_case_scope("case__"), _pact_partner("")),
        Action.CREATE: _case_scope("case__", via_referral=False),
        Action.CHANGE: _case_scope("case__", via_referral=False),
        Action.EXPORT: _case_scope("case__"),
    },
    # Signing for an organisation: its partner staff, coordinators or social workers.
    "pacts.signatory": {
        Action.CHANGE: when(
            lambda s: s.has(Role.PARTNER_STAFF, Role.COORDINATOR, Role.OPERATOR),
            lambda s: (
                Q(organisation__in=s.orgs(Role.PARTNER_STAFF, Role.COORDINATOR, Role.OPERATOR))
                & ~Q(pact__status="draft")
            ),
        ),
    },
    # Hours of the ledger: the pact's case workers, and partner staff for the hours
    # given to or received from their organisation.
    "pacts.ledgertransaction": {
        Action.LIST: either(_case_scope("pact__case__"), _partner_hours),
        Action.READ: either(_case_scope("pact__case__"), _partner_hours),
    },
    **{
        f"pacts.{name}": {
            Action.LIST: _case_scope("pact__case__"),
            Action.READ: _case_scope("pact__case__"),
            Action.CREATE: _case_scope("pact__case__", via_referral=False),
            Action.CHANGE: _case_scope("pact__case__", via_referral=False),
        }
        for name in ("review", "placement")
    },
    # Balances of an organisation's hours: its own staff and coordinators, and the
    # network's administrators.
    "partners.organisation_hours": {
        Action.READ: either(
            roles(Role.NETWORK_ADMIN, Role.AMBITO_ADMIN),
            when(
                lambda s: s.has(Role.PARTNER_STAFF, Role.COORDINATOR, Role.OPERATOR),
                lambda s: Q(pk__in=s.orgs(Role.PARTNER_STAFF, Role.COORDINATOR, Role.OPERATOR)),
            ),
        ),
    },
    "pacts.reminder": {
        Action.LIST: when(lambda s: s.authenticated, lambda s: Q(recipient=s.user.pk)),
        Action.CHANGE: when(lambda s: s.authenticated, lambda s: Q(recipient=s.user.pk)),
    },
    # --- Community labs (labs) ---
    # Labs and their meetings are public once the lab is under way; facilitators run the
    # labs they facilitate (and see them while planned); ambito administrators, those of
    # their ambiti; network administrators, all.
    "labs.lab": {
        Action.LIST: either(_lab_runners(""), lambda s: ~Q(status="planned")),
        Action.READ: either(_lab_runners(""), lambda s: ~Q(status="planned")),
        Action.CREATE: either(
            roles(Role.NETWORK_ADMIN, Role.FACILITATOR),
            when(
                lambda s: s.has(Role.AMBITO_ADMIN),
                lambda s: Q(ambito__in=s.ambiti(Role.AMBITO_ADMIN)),
            ),
            # A research pathway's workshop lab (research.services.pathways).
            when(lambda s: s.has(Role.RESEARCHER), lambda s: Q(context="practitioners")),
        ),
        Action.CHANGE: _lab_runners(""),
    },
    "labs.meeting": {
        Action.LIST: either(_lab_runners("lab__"), lambda s: ~Q(lab__status="planned")),
        Action.READ: either(_lab_runners("lab__"), lambda s: ~Q(lab__status="planned")),
        Action.CREATE: _lab_runners("lab__"),
        Action.CHANGE: _lab_runners("lab__"),
    },
    # Who signed up (names, addresses, attendance): the lab's runners; and each person
    # their own registrations.
    "labs.registration": {
        Action.LIST: either(
            _lab_runners("meeting__lab__"),
            when(lambda s: s.authenticated, lambda s: Q(user=s.user.pk)),
        ),
        Action.READ: either(
            _lab_runners("meeting__lab__"),
            when(lambda s: s.authenticated, lambda s: Q(user=s.user.pk)),
        ),
        Action.CHANGE: _lab_runners("meeting__lab__"),
    },
    # The needs board is public; anyone with an account posts and supports needs; the
    # lab's runners move, merge and answer them with interventions.
    "labs.need": {
        Action.LIST: either(_lab_runners("lab__"), lambda s: ~Q(lab__status="planned")),
        Action.READ: either(_lab_runners("lab__"), lambda s: ~Q(lab__status="planned")),
        Action.CREATE: when(lambda s: s.authenticated, lambda s: ~Q(lab__status="closed")),
        Action.CHANGE: _lab_runners("lab__"),
    },
    # Needs a lab passed to a social service, with the person's consent: the service's
    # coordinators take them in (as an intake through the "community lab" channel).
    "labs.need_referral": {
        Action.LIST: when(
            lambda s: s.has(Role.COORDINATOR),
            lambda s: Q(referred_to__in=s.orgs(Role.COORDINATOR)),
        ),
        Action.CHANGE: when(
            lambda s: s.has(Role.COORDINATOR),
            lambda s: Q(referred_to__in=s.orgs(Role.COORDINATOR)),
        ),
    },
    "labs.intervention": {
        Action.LIST: either(_lab_runners("lab__"), lambda s: ~Q(lab__status="planned")),
        Action.READ: either(_lab_runners("lab__"), lambda s: ~Q(lab__status="planned")),
        Action.CREATE: _lab_runners("lab__"),
        Action.CHANGE: _lab_runners("lab__"),
    },
    # --- Civic Center (civic_center) ---
    # The catalogue is public; network administrators edit it.
    "civic_center.servicecategory": {
        Action.LIST: anyone,
        Action.READ: anyone,
        Action.CREATE: roles(Role.NETWORK_ADMIN),
        Action.CHANGE: roles(Role.NETWORK_ADMIN),
    },
    # A demand with who the family is: the family itself, and the operator who entered it
    # on the family's behalf. Nobody else reads identities (see demand_market and
    # demand_contact).
    "civic_center.demand": {
        Action.LIST: _own_demands(""),
        Action.READ: _own_demands(""),
        # A family states its own demand. Not with a provider's work account: pool
        # status shows prices, and a provider never sees a competitor's prices.
        Action.CREATE: when(
            lambda s: s.authenticated and not s.has(Role.PARTNER_STAFF),
            lambda s: Q(family=s.user.pk),
        ),
        Action.CHANGE: _own_demands(""),
    },
    # Operators and coordinators enter demand for a family that has no account.
    "civic_center.demand_on_behalf": {
        Action.CREATE: roles(Role.OPERATOR, Role.COORDINATOR),
    },
    # Pseudonymised demand (comune, windows, quantities, ceiling; no identity): providers
    # of the ambiti their organisations serve, the coordinators and administrators who run
    # the matching there.
    "civic_center.demand_market": {
        Action.LIST: either(
            roles(Role.NETWORK_ADMIN),
            when(
                lambda s: s.has(Role.PARTNER_STAFF, Role.COORDINATOR, Role.AMBITO_ADMIN),
                lambda s: Q(
                    comune__ambito__in=s.ambiti(
                        Role.PARTNER_STAFF, Role.COORDINATOR, Role.AMBITO_ADMIN
                    )
                ),
            ),
        ),
    },
    # A family's contact details reach a provider only once the family accepted a group
    # and the provider confirmed it.
    "civic_center.demand_contact": {
        Action.READ: when(
            lambda s: s.has(Role.PARTNER_STAFF),
            lambda s: Q(
                memberships__status="accepted",
                memberships__agreement__status="confirmed",
                memberships__agreement__offer__organisation__in=s.orgs(Role.PARTNER_STAFF),
            ),
        ),
    },
    # An offer with its prices: its organisation's staff (lead and joint partners), and
    # the coordinators who run the matching in its ambiti. Competitors see coverage only
    # (offer_coverage), never prices.
    "civic_center.offer": {
        Action.LIST: either(_offer_providers(""), _matching_runners("comuni__ambito__in")),
        Action.READ: either(_offer_providers(""), _matching_runners("comuni__ambito__in")),
        Action.CREATE: when(
            lambda s: s.has(Role.PARTNER_STAFF),
            lambda s: Q(organisation__in=s.orgs(Role.PARTNER_STAFF)),
        ),
        Action.CHANGE: when(
            lambda s: s.has(Role.PARTNER_STAFF),
            lambda s: Q(organisation__in=s.orgs(Role.PARTNER_STAFF)),
        ),
    },
    # Who covers what (organisation, service, comuni, windows; no prices): every provider,
    # coordinator and administrator.
    "civic_center.offer_coverage": {
        Action.LIST: either(
            roles(Role.NETWORK_ADMIN),
            when(
                lambda s: s.has(Role.PARTNER_STAFF, Role.COORDINATOR, Role.AMBITO_ADMIN),
                lambda s: Q(status="published"),
            ),
        ),
    },
    # Aggregate market figures of the whole network (small cells suppressed, prices only
    # as a median of at least three organisations): everyone.
    "civic_center.market": {
        Action.READ: anyone,
    },
    "civic_center.matchingrun": {
        Action.LIST: _matching_runners("ambito__in"),
        Action.READ: _matching_runners("ambito__in"),
        Action.CREATE: _matching_runners("ambito__in"),
    },
    # A group agreement: its families (and who entered their demand), the provider, the
    # coordinators of the ambito its families live in. The provider confirms or cancels.
    "civic_center.agreement": {
        Action.LIST: either(
            _own_demands("members__demand__"),
            _offer_providers("offer__"),
            _matching_runners("members__demand__comune__ambito__in"),
        ),
        Action.READ: either(
            _own_demands("members__demand__"),
            _offer_providers("offer__"),
            _matching_runners("members__demand__comune__ambito__in"),
        ),
        Action.CHANGE: when(
            lambda s: s.has(Role.PARTNER_STAFF),
            lambda s: Q(offer__organisation__in=s.orgs(Role.PARTNER_STAFF)),
        ),
    },
    # A family answers for itself (accept, decline, withdraw).
    "civic_center.agreementmember": {
        Action.CHANGE: _own_demands("demand__"),
    },
    # --- Wel(l)fare LAB (research) ---
    # Researchers run surveys: each manages the surveys they own (and reads those of the
    # pathways they lead); network administrators read them. Invited practitioners answer
    # through their invitation's link, whose token is the permission
    # (research.services.responses): no rule here, no account needed. Responses are read
    # by the survey's researcher; anonymous ones hold nothing that names a person.
    # Researchers have no rule on beneficiaries: they never reach a person's record.
    # The vulnerability observatory: counts drawn from case files, small cells
    # suppressed (research.observatory), for researchers and policy makers.
    "research.observatory": {
        Action.READ: roles(Role.RESEARCHER, Role.AMBITO_ADMIN, Role.NETWORK_ADMIN),
    },
    # Pathways are known to the network's practitioners and administrators (their
    # workshops are public meetings of labs anyway); their lead changes them.
    "research.pathway": {
        Action.LIST: roles(*NETWORK_STAFF),
        Action.READ: roles(*NETWORK_STAFF),
        Action.CREATE: roles(Role.RESEARCHER),
        Action.CHANGE: when(lambda s: s.has(Role.RESEARCHER), lambda s: Q(lead=s.user.pk)),
    },
    # The findings library: read by the network's practitioners, researchers and
    # administrators; researchers add items; the author or the pathway's lead changes one.
    # It holds research texts, never a person's record.
    "research.finding": {
        Action.LIST: roles(*NETWORK_STAFF),
        Action.READ: roles(*NETWORK_STAFF),
        Action.CREATE: roles(Role.RESEARCHER),
        Action.CHANGE: when(
            lambda s: s.has(Role.RESEARCHER),
            lambda s: Q(author=s.user.pk) | Q(pathway__lead=s.user.pk),
        ),
    },
    "research.survey": {
        Action.LIST: either(
            roles(Role.NETWORK_ADMIN),
            when(
                lambda s: s.has(Role.RESEARCHER),
                lambda s: Q(owner=s.user.pk) | Q(pathway__lead=s.user.pk),
            ),
        ),
        Action.READ: either(
            roles(Role.NETWORK_ADMIN),
            when(
                lambda s: s.has(Role.RESEARCHER),
                lambda s: Q(owner=s.user.pk) | Q(pathway__lead=s.user.pk),
            ),
        ),
        Action.CREATE: roles(Role.RESEARCHER),
        Action.CHANGE: when(lambda s: s.has(Role.RESEARCHER), lambda s: Q(owner=s.user.pk)),
        Action.EXPORT: when(lambda s: s.has(Role.RESEARCHER), lambda s: Q(owner=s.user.pk)),
    },
    "research.invitation": {
        Action.LIST: either(
            roles(Role.NETWORK_ADMIN),
            when(lambda s: s.has(Role.RESEARCHER), lambda s: Q(survey__owner=s.user.pk)),
        ),
        Action.READ: either(
            roles(Role.NETWORK_ADMIN),
            when(lambda s: s.has(Role.RESEARCHER), lambda s: Q(survey__owner=s.user.pk)),
        ),
    },
    "research.response": {
        Action.LIST: either(
            roles(Role.NETWORK_ADMIN),
            when(
                lambda s: s.has(Role.RESEARCHER),
                lambda s: Q(survey__owner=s.user.pk) | Q(survey__pathway__lead=s.user.pk),
            ),
        ),
        Action.READ: either(
            roles(Role.NETWORK_ADMIN),
            when(
                lambda s: s.has(Role.RESEARCHER),
                lambda s: Q(survey__owner=s.user.pk) | Q(survey__pathway__lead=s.user.pk),
            ),
        ),
        Action.EXPORT: when(lambda s: s.has(Role.RESEARCHER), lambda s: Q(survey__owner=s.user.pk)),
    },
    # --- Fundraising ---
    # Campaigns are public once published; the fundraisers of the collecting
    # organisation run them (drafts included). Donors, donations, receipts and bank
    # statements are the business of the fundraisers of the organisation that received
    # the gifts; network administrators read them; a citizen who gave online reads
    # their own gifts and receipts. Nobody else, and no researcher or report reader.
    "fundraising.campaign": {
        Action.LIST: either(_fundraisers("organisation__"), lambda s: ~Q(status="draft")),
        Action.READ: either(_fundraisers("organisation__"), lambda s: ~Q(status="draft")),
        Action.CREATE: _fundraisers("organisation__"),
        Action.CHANGE: _fundraisers("organisation__", admins_read=False),
        Action.EXPORT: _fundraisers("organisation__", admins_read=False),
    },
    **{
        f"fundraising.{name}": {
            Action.LIST: either(
                _fundraisers("campaign__organisation__"), lambda s: ~Q(campaign__status="draft")
            ),
            Action.READ: either(
                _fundraisers("campaign__organisation__"), lambda s: ~Q(campaign__status="draft")
            ),
            Action.CHANGE: _fundraisers("campaign__organisation__", admins_read=False),
        }
        for name in ("matchingpledge", "campaignupdate", "campaignimage")
    },
    "fundraising.campaigncost": {
        Action.LIST: _fundraisers("campaign__organisation__"),
        Action.READ: _fundraisers("campaign__organisation__"),
        Action.CHANGE: _fundraisers("campaign__organisation__", admins_read=False),
    },
    # A donor just entered, who has given nothing yet, is any fundraiser's to complete.
    "fundraising.donor": {
        Action.LIST: either(
            _fundraisers("donations__organisation__"), _donor_without_gifts, _own_donor("")
        ),
        Action.READ: either(
            _fundraisers("donations__organisation__"), _donor_without_gifts, _own_donor("")
        ),
        Action.CREATE: roles(Role.FUNDRAISER),
        Action.CHANGE: either(
            _fundraisers("donations__organisation__", admins_read=False), _donor_without_gifts
        ),
        Action.EXPORT: _fundraisers("donations__organisation__", admins_read=False),
    },
    "fundraising.donation": {
        Action.LIST: either(_fundraisers("organisation__"), _own_donor("donor__")),
        Action.READ: either(_fundraisers("organisation__"), _own_donor("donor__")),
        Action.CREATE: _fundraisers("organisation__", admins_read=False),
        Action.CHANGE: _fundraisers("organisation__", admins_read=False),
        Action.EXPORT: _fundraisers("organisation__", admins_read=False),
    },
    "fundraising.receipt": {
        Action.LIST: either(_fundraisers("organisation__"), _own_donor("donation__donor__")),
        Action.READ: either(_fundraisers("organisation__"), _own_donor("donation__donor__")),
        Action.CHANGE: _fundraisers("organisation__", admins_read=False),
    },
    **{
        f"fundraising.{name}": {
            Action.LIST: _fundraisers("organisation__"),
            Action.READ: _fundraisers("organisation__"),
            Action.CREATE: _fundraisers("organisation__", admins_read=False),
            Action.CHANGE: _fundraisers("organisation__", admins_read=False),
        }
        for name in ("bankstatement", "bankentry")
    },
    # --- Piano di zona reports (reports) ---
    # An ambito's figures (rows: legami.Ambito) for the administrators and the service
    # coordinators of the ambito; every ambito for network administrators.
    "reports.ambito_report": {
        action: either(
            roles(Role.NETWORK_ADMIN),
            when(
                lambda s: s.has(Role.AMBITO_ADMIN, Role.COORDINATOR),
                lambda s: Q(pk__in=s.ambiti(Role.AMBITO_ADMIN, Role.COORDINATOR)),
            ),
        )
        for action in (Action.LIST, Action.READ, Action.EXPORT)
    },
    # The coordination dashboard (rows: legami.Ambito): caseload per worker, pact reviews
    # due and new intakes of the ambiti a service coordinator's organisations serve.
    # Operational, not aggregate: only coordinators, who see these cases anyway (the
    # dashboard reads them through the case, pact and intake rules above). Not ambito or
    # network administrators: the workload of named workers is the services' to manage,
    # and the cases and pacts it lists are not theirs to open (docs/ACCESS.md).
    "reports.coordination": {
        Action.READ: when(
            lambda s: s.has(Role.COORDINATOR),
            lambda s: Q(pk__in=s.ambiti(Role.COORDINATOR)),
        ),
    },
    # The network in figures: open yearly figures of every ambito, counts of people
    # suppressed below 5 (reports.present.show), for everyone.
    "reports.public_figures": {
        Action.READ: anyone,
    },
    "legami.changeevent": {
        Action.LIST: roles(Role.DPO),
        Action.READ: roles(Role.DPO),
        Action.EXPORT: roles(Role.DPO),
    },
}


# --- Asking the policy ------------------------------------------------------------------------


def resource_of(model: type[models.Model] | models.Model | str) -> str:
    if isinstance(model, str):
        return model
    return f"{model._meta.app_label}.{model._meta.model_name}"


def scope(user: Any, action: Action | str, resource: type[models.Model] | str) -> Scope:
    """What ``user`` may do ``action`` on: True (all), False (none) or a Q."""
    rule = RULES.get(resource_of(resource), {}).get(Action(action))
    if rule is None:
        return False
    result = rule(subject_for(user))
    return result if isinstance(result, Q) or result is True else False


def visible_to(
    user: Any,
    resource: type[models.Model] | str,
    action: Action | str = Action.LIST,
    queryset: models.QuerySet[Any] | None = None,
) -> models.QuerySet[Any]:
    """The records of ``resource`` that ``user`` may ``action``: the start of every
    selector. Joins through to-many relations can repeat rows, so the result is made
    distinct when the rule is a Q."""
    label = resource_of(resource)
    qs = queryset if queryset is not None else apps.get_model(label)._default_manager.all()
    allowed_scope = scope(user, action, label)
    if allowed_scope is True:
        return qs
    if allowed_scope is False:
        return qs.none()
    if allowed_scope == Q():
        return qs
    return qs.filter(pk__in=qs.model._default_manager.filter(allowed_scope).values("pk"))


def allowed(
    user: Any,
    action: Action | str,
    resource: type[models.Model] | models.Model | str,
    obj: models.Model | None = None,
) -> bool:
    """Whether ``user`` may ``action`` on ``obj`` (or on some record of the resource,
    when ``obj`` is None: e.g. may they create one, may they see the list)."""
    if obj is None and isinstance(resource, models.Model):
        obj = resource
    label = resource_of(resource)
    allowed_scope = scope(user, action, label)
    if allowed_scope is True or allowed_scope is False:
        return allowed_scope
    if obj is None:
        return True  # some records are in scope
    if obj.pk is None:
        return _unsaved_matches(obj, allowed_scope)
    return type(obj)._default_manager.filter(allowed_scope, pk=obj.pk).exists()


def require(
    user: Any,
    action: Action | str,
    resource: type[models.Model] | models.Model | str,
    obj: models.Model | None = None,
) -> None:
    """Raise PermissionDenied unless ``allowed(...)``."""
    if not allowed(user, action, resource, obj):
        raise PermissionDenied


def _unsaved_matches(obj: models.Model, q: Q) -> bool:
    """Check a Q on simple field lookups against an unsaved object (e.g. a membership
    about to be created): each leaf ``field`` / ``field__in`` compared in Python.

    Rules that follow relations (``person__cases__assignments__worker``) cannot be checked
    on an object that does not exist yet: this raises ValueError for them, and services
    creating such parts (a diary note, a tie) ask instead about the record they belong to
    (CHANGE on the person or READ on the case), whose scope is the same."""

    def check(node: Any) -> bool:
        if isinstance(node, Q):
            results = [check(child) for child in node.children]
            value = any(results) if node.connector == Q.OR else all(results)
            return not value if node.negated else value
        lookup, expected = node
        name, _, op = lookup.partition("__")
        actual = (
            getattr(obj, f"{name}_id", None) if hasattr(obj, f"{name}_id") else getattr(obj, name)
        )
        if op == "in":
            return actual in set(expected)
        if op == "":
            return actual == expected
        raise ValueError(f"unsupported lookup {lookup!r} for an unsaved object")

    return check(q)


# --- Decisions about two records ------------------------------------------------------------


def may_record_hours(user: Any, pact: models.Model, organisation: models.Model | None) -> bool:
    """Who records hours on a pact's ledger (a decision about two records: the pact and
    the organisation the hours were exchanged with). The pact's case workers record any
    hours; partner staff, the hours exchanged with their own organisation when it is a
    signatory of the pact."""
    if allowed(user, Action.CHANGE, pact):
        return True
    if organisation is None:
        return False
    return (
        organisation.pk in subject_for(user).orgs(Role.PARTNER_STAFF)
        and pact.signatories.filter(  # type: ignore[attr-defined]
            kind="organisation", organisation=organisation
        ).exists()
    )
