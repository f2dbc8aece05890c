"""The access policy: deny by default, scoped by role, organisation, ambito and referent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from legami import policy
from legami.models import AccessEvent, Ambito, Comune
from legami.policy import Action, allowed, require, subject_for, visible_to
from legami.roles import Role
from partners.models import Membership, Organisation, OrganisationKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory():
    cremona = Ambito.objects.create(code="cremona", name="Ambito di Cremona", managing_body="A")
    crema = Ambito.objects.create(code="crema", name="Ambito di Crema", managing_body="B")
    comuni = {
        "cremona": Comune.objects.create(
            belfiore_code="D150", name="Cremona", province="CR", ambito=cremona
        ),
        "crema": Comune.objects.create(
            belfiore_code="D142", name="Crema", province="CR", ambito=crema
        ),
        "orphan": Comune.objects.create(belfiore_code="Z999", name="Nessuno", province="CR"),
    }
    return cremona, crema, comuni


def _member(user, org, role, **extra):
    return Membership.objects.create(
        user=user, organisation=org, role=role, start_date=dt.date(2024, 1, 1), **extra
    )


def _org(slug, *ambiti, **extra):
    org = Organisation.objects.create(
        name=slug.title(), slug=slug, kind=OrganisationKind.CONSORZIO, **extra
    )
    org.ambiti.set(ambiti)
    return org


def test_an_unknown_resource_or_action_is_refused_to_everybody(make_user):
    """Deny by default: no rule, no access — not even for a Django superuser."""
    root = make_user(is_staff=True, is_superuser=True)
    assert not allowed(root, Action.READ, "beneficiaries.nothing")
    assert not allowed(root, Action.DELETE, "legami.ambito")
    assert visible_to(root, AccessEvent).query.is_empty()


def test_anonymous_visitors_only_see_public_records(territory):
    anonymous = AnonymousUser()
    assert allowed(anonymous, Action.LIST, Comune)
    assert not allowed(anonymous, Action.CHANGE, Comune)
    assert not allowed(anonymous, Action.LIST, "partners.membership")
    assert subject_for(anonymous) is policy.ANONYMOUS


def test_an_ambito_admin_changes_only_the_comuni_of_their_ambito(make_user, territory):
    """…or a comune still without an ambito, which they may claim."""
    cremona, crema, comuni = territory
    admin = make_user()
    _member(admin, _org("asc", cremona), Role.AMBITO_ADMIN)
    changeable = set(visible_to(admin, Comune, Action.CHANGE).values_list("name", flat=True))
    assert changeable == {"Cremona", "Nessuno"}
    assert allowed(admin, Action.CHANGE, comuni["cremona"])
    assert not allowed(admin, Action.CHANGE, comuni["crema"])
    with pytest.raises(PermissionDenied):
        require(admin, Action.CHANGE, comuni["crema"])


def test_roles_count_only_while_the_membership_and_organisation_are_current(make_user, territory):
    cremona, _, _ = territory
    org = _org("asc", cremona)
    ended = make_user()
    _member(ended, org, Role.NETWORK_ADMIN, end_date=dt.date(2024, 6, 30))
    future = make_user()
    Membership.objects.create(
        user=future, organisation=org, role=Role.NETWORK_ADMIN, start_date=dt.date(2999, 1, 1)
    )
    for user in (ended, future):
        assert not allowed(user, Action.CHANGE, Ambito)
    current = make_user()
    _member(current, org, Role.NETWORK_ADMIN)
    assert allowed(current, Action.CHANGE, Ambito)
    org.is_active = False
    org.save()
    current = type(current).objects.get(pk=current.pk)  # a new request: no cached subject
    assert not allowed(current, Action.CHANGE, Ambito)


def test_a_disabled_user_has_no_rights(make_user):
    user = make_user()
    _member(user, _org("prov"), Role.NETWORK_ADMIN)
    user.is_active = False
    assert subject_for(user) is policy.ANONYMOUS
    assert not allowed(user, Action.CHANGE, Ambito)


def test_a_referent_may_grant_only_non_administrative_roles_at_their_organisation(make_user):
    """The check works on a membership about to be created, before it has an id."""
    own, other = _org("own"), _org("other")
    referent = make_user()
    _member(referent, own, Role.PARTNER_STAFF, is_referent=True)
    newcomer = make_user()

    def may_create(org, role):
        candidate = Membership(
            user=newcomer, organisation=org, role=role, start_date=dt.date(2025, 1, 1)
        )
        return allowed(referent, Action.CREATE, candidate)

    assert may_create(own, Role.OPERATOR)
    assert may_create(own, Role.FACILITATOR)
    assert not may_create(own, Role.NETWORK_ADMIN)
    assert not may_create(own, Role.DPO)
    assert not may_create(other, Role.OPERATOR)


def test_memberships_are_visible_to_their_holder_referent_and_admins(make_user, territory):
    cremona, crema, _ = territory
    org_cremona, org_crema = _org("a", cremona), _org("b", crema)
    worker = make_user()
    own = _member(worker, org_cremona, Role.OPERATOR)
    colleague = _member(make_user(), org_cremona, Role.FACILITATOR)
    elsewhere = _member(make_user(), org_crema, Role.OPERATOR)
    referent = make_user()
    referent_row = _member(referent, org_cremona, Role.PARTNER_STAFF, is_referent=True)
    ambito_admin = make_user()
    _member(ambito_admin, _org("ufficio", crema), Role.AMBITO_ADMIN)

    def ids(user):
        return set(visible_to(user, Membership).values_list("pk", flat=True))

    assert ids(worker) == {own.pk}
    assert ids(referent) == {own.pk, colleague.pk, referent_row.pk}
    assert elsewhere.pk in ids(ambito_admin) and own.pk not in ids(ambito_admin)


def test_visible_to_never_repeats_a_row(make_user, territory):
    """Scopes that join through to-many relations (an organisation serving two ambiti)
    still list each record once."""
    cremona, crema, _ = territory
    org = _org("both", cremona, crema)
    row = _member(make_user(), org, Role.OPERATOR)
    admin = make_user()
    own = _member(admin, _org("uff", cremona, crema), Role.AMBITO_ADMIN)
    listed = list(visible_to(admin, Membership).values_list("pk", flat=True))
    assert sorted(listed) == sorted([row.pk, own.pk])


def test_the_access_log_is_for_the_dpo_and_coordinators_of_the_actors(make_user):
    org, other = _org("asc"), _org("csc")
    dpo = make_user()
    _member(dpo, _org("prov"), Role.DPO)
    coordinator = make_user()
    _member(coordinator, org, Role.COORDINATOR)
    worker = make_user()
    _member(worker, org, Role.OPERATOR)
    outsider = make_user()
    _member(outsider, other, Role.OPERATOR)
    mine = AccessEvent.objects.create(actor=worker, action="view", target_type="x.y", target_id="1")
    theirs = AccessEvent.objects.create(
        actor=outsider, action="view", target_type="x.y", target_id="2"
    )

    def ids(user):
        return set(visible_to(user, AccessEvent).values_list("pk", flat=True))

    assert ids(dpo) == {mine.pk, theirs.pk}
    assert ids(coordinator) == {mine.pk}
    assert ids(worker) == set()
