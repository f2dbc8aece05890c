"""Who reads an ambito's piano di zona figures: its administrators and its service
coordinators; network administrators every ambito; nobody else (deny by default)."""

from __future__ import annotations

import pytest

from legami.models import Ambito
from legami.policy import Action, allowed, visible_to
from legami.roles import Role
from tests.legami.factories import AmbitoFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
REPORT = "reports.ambito_report"


def holder(role, *ambiti):
    return MembershipFactory(organisation=OrganisationFactory(ambiti=list(ambiti)), role=role).user


def readable(user):
    return set(visible_to(user, REPORT, Action.READ, queryset=Ambito.objects.all()))


def test_administrators_and_coordinators_read_their_own_ambito_only():
    cremona, crema = AmbitoFactory(), AmbitoFactory()
    for role in (Role.AMBITO_ADMIN, Role.COORDINATOR):
        user = holder(role, cremona)
        assert readable(user) == {cremona}
        assert allowed(user, Action.EXPORT, REPORT, cremona)
        assert not allowed(user, Action.EXPORT, REPORT, crema)


def test_network_administrators_read_every_ambito():
    ambiti = {AmbitoFactory(), AmbitoFactory()}
    assert readable(holder(Role.NETWORK_ADMIN)) >= ambiti


@pytest.mark.parametrize(
    "role",
    [
        Role.OPERATOR,
        Role.PARTNER_STAFF,
        Role.FACILITATOR,
        Role.RESEARCHER,
        Role.FUNDRAISER,
        Role.DPO,
    ],
)
def test_nobody_else_reads_a_report(role):
    cremona = AmbitoFactory()
    user = holder(role, cremona)
    assert readable(user) == set()
    assert not allowed(user, Action.READ, REPORT, cremona)


def test_the_scope_of_a_report_is_found_only_for_its_readers():
    from reports.selectors import report_scope, reports_allowed
    from tests.legami.factories import ComuneFactory

    cremona, crema = AmbitoFactory(), AmbitoFactory()
    inside, outside = ComuneFactory(ambito=cremona), ComuneFactory(ambito=crema)
    admin = holder(Role.AMBITO_ADMIN, cremona)
    assert reports_allowed(admin)
    assert report_scope(admin, cremona.code).ambito_id == cremona.pk
    assert report_scope(admin, cremona.code, inside.pk).comune_id == inside.pk
    assert report_scope(admin, cremona.code, outside.pk) is None  # not a comune of it
    assert report_scope(admin, crema.code) is None
    assert report_scope(admin, "no-such-ambito") is None
    assert not reports_allowed(holder(Role.OPERATOR, cremona))
