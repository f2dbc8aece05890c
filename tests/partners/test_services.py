"""The services of the partners app: each asks the policy, writes the audit trail, and
on invalid input raises ValidationError having changed nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from legami.audit import audit_history
from legami.models import ChangeEvent, User
from legami.policy import subject_for
from legami.roles import Role
from partners import services
from partners.models import Invitation, Membership, Organisation, OrganisationKind
from tests.legami.factories import UserFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

COMUNE_DI_CREMONA = "00297960197"


@pytest.fixture
def org(ambiti):
    return OrganisationFactory(
        slug="coop-il-ponte", name="Cooperativa Il Ponte", ambiti=[ambiti[0]]
    )


@pytest.fixture
def referent(org):
    return MembershipFactory(organisation=org, role=Role.PARTNER_STAFF, is_referent=True).user


@pytest.fixture
def staff_member(org):
    """A partner staff member of ``org`` who is not its referent."""
    return MembershipFactory(organisation=org, role=Role.PARTNER_STAFF).user


def fresh(user: User) -> User:
    """The user as a new request sees them (the policy caches what it knows per object)."""
    return User.objects.get(pk=user.pk)


# --- Organisations ------------------------------------------------------------------------


def test_a_network_admin_adds_an_organisation_and_the_trail_records_it(network_admin, ambiti):
    organisation = services.organisation_create(
        actor=network_admin,
        name="Comune di Cremona",
        kind=OrganisationKind.COMUNE,
        tax_code=" it00297960197 ",
        website="https://www.comune.cremona.it",
        ambiti=[ambiti[0]],
    )

    assert organisation.slug == "comune-di-cremona"
    assert organisation.tax_code == COMUNE_DI_CREMONA
    event = audit_history(organisation).get()
    assert event.action == "create"
    assert event.actor == network_admin
    assert event.changes["tax_code"] == [None, COMUNE_DI_CREMONA]
    assert event.changes["ambiti"] == [None, ["cremona"]]


@pytest.mark.parametrize("role", [Role.AMBITO_ADMIN, Role.PARTNER_STAFF, Role.DPO, None])
def test_only_network_admins_add_organisations(make_user, role):
    """Nobody else may, whatever their role (a citizen included)."""
    actor = make_user(role=role)
    before = Organisation.objects.count()
    with pytest.raises(PermissionDenied):
        services.organisation_create(actor=actor, name="Nuova", kind=OrganisationKind.IMPRESA)
    assert Organisation.objects.count() == before
    assert not ChangeEvent.objects.filter(target_type="partners.organisation").exists()


def test_an_invalid_tax_code_adds_nothing(network_admin):
    with pytest.raises(ValidationError) as caught:
        services.organisation_create(
            actor=network_admin,
            name="Comune di Cremona",
            kind=OrganisationKind.COMUNE,
            tax_code="00297960196",
        )
    assert "tax_code" in caught.value.message_dict
    assert not Organisation.objects.filter(name="Comune di Cremona").exists()
    assert not ChangeEvent.objects.exists()


def test_a_tax_code_already_in_the_network_is_refused(network_admin, org):
    OrganisationFactory(tax_code=COMUNE_DI_CREMONA)
    with pytest.raises(ValidationError):
        services.organisation_update(
            organisation=org, actor=network_admin, data={"tax_code": COMUNE_DI_CREMONA}
        )
    org.refresh_from_db()
    assert org.tax_code == ""


def test_an_update_records_what_changed(network_admin, org, ambiti):
    services.organisation_update(
        organisation=org,
        actor=network_admin,
        data={"phone": "0372 407111", "ambiti": list(ambiti), "name": org.name},
    )

    org.refresh_from_db()
    assert org.phone == "0372 407111"
    event = audit_history(org).get()
    assert event.action == "update"
    assert event.changes == {
        "ambiti": [["cremona"], ["crema", "cremona"]],
        "phone": ["", "0372 407111"],
    }


def test_an_update_ignores_what_a_form_did_to_the_instance(network_admin, org):
    """The service compares with the stored row, not with the object it was handed."""
    org.phone = "changed in memory only"
    services.organisation_update(organisation=org, actor=network_admin, data={"phone": "123"})
    assert audit_history(org).get().changes == {"phone": ["", "123"]}


def test_an_update_with_nothing_new_writes_no_event(network_admin, org):
    services.organisation_update(organisation=org, actor=network_admin, data={"name": org.name})
    assert not audit_history(org).exists()


def test_a_referent_cannot_change_their_organisation(referent, org):
    with pytest.raises(PermissionDenied):
        services.organisation_update(organisation=org, actor=referent, data={"phone": "1"})
    org.refresh_from_db()
    assert org.phone == ""


def test_deactivating_an_organisation_ends_nothing_but_its_roles_stop_counting(
    network_admin, org, referent
):
    """Its memberships stay as they were, yet the policy no longer counts them."""
    assert org.pk in subject_for(fresh(referent)).referent_of

    services.organisation_deactivate(organisation=org, actor=network_admin)

    org.refresh_from_db()
    assert not org.is_active
    assert Membership.objects.get(user=referent).end_date is None
    assert subject_for(fresh(referent)).roles == frozenset()
    assert subject_for(fresh(referent)).referent_of == frozenset()
    event = audit_history(org).get()
    assert (event.action, event.note, event.changes) == (
        "state",
        "deactivated",
        {"is_active": [True, False]},
    )


def test_deactivating_twice_is_an_error_that_changes_nothing(network_admin, org):
    services.organisation_deactivate(organisation=org, actor=network_admin)
    with pytest.raises(ValidationError):
        services.organisation_deactivate(organisation=org, actor=network_admin)
    assert audit_history(org).count() == 1


def test_a_reactivated_organisation_counts_again(network_admin, org, referent):
    services.organisation_deactivate(organisation=org, actor=network_admin)
    services.organisation_reactivate(organisation=org, actor=network_admin)
    assert org.pk in subject_for(fresh(referent)).referent_of


def test_only_network_admins_deactivate(org, referent):
    with pytest.raises(PermissionDenied):
        services.organisation_deactivate(organisation=org, actor=referent)
    org.refresh_from_db()
    assert org.is_active


# --- Memberships --------------------------------------------------------------------------


def test_a_referent_adds_a_social_worker_to_their_organisation(referent, org):
    person = UserFactory()

    membership = services.membership_create(
        user=person, organisation=org, role=Role.OPERATOR, actor=referent
    )

    assert membership.start_date == timezone.localdate()
    event = audit_history(membership).get()
    assert (event.action, event.actor) == ("create", referent)
    assert event.changes["role"] == [None, Role.OPERATOR]
    assert event.changes["user_id"] == [None, person.pk]


@pytest.mark.parametrize("role", [Role.NETWORK_ADMIN, Role.AMBITO_ADMIN, Role.DPO])
def test_a_referent_cannot_grant_administrative_roles(referent, org, role):
    with pytest.raises(PermissionDenied):
        services.membership_create(user=UserFactory(), organisation=org, role=role, actor=referent)
    assert not Membership.objects.filter(role=role, organisation=org).exists()


def test_a_referent_cannot_add_people_to_another_organisation(referent):
    other = OrganisationFactory()
    with pytest.raises(PermissionDenied):
        services.membership_create(
            user=UserFactory(), organisation=other, role=Role.OPERATOR, actor=referent
        )
    assert not other.memberships.exists()


def test_a_staff_member_who_is_not_referent_cannot_add_people(staff_member, org):
    with pytest.raises(PermissionDenied):
        services.membership_create(
            user=UserFactory(), organisation=org, role=Role.OPERATOR, actor=staff_member
        )


def test_network_admins_grant_any_role_anywhere(network_admin, org):
    membership = services.membership_create(
        user=UserFactory(), organisation=org, role=Role.AMBITO_ADMIN, actor=network_admin
    )
    assert membership.pk


def test_an_overlapping_membership_is_refused(network_admin, org, staff_member):
    count = Membership.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.membership_create(
            user=staff_member,
            organisation=org,
            role=Role.PARTNER_STAFF,
            start_date=dt.date(2025, 6, 1),
            actor=network_admin,
        )
    assert [e.code for e in caught.value.error_dict["user"]] == ["overlapping_membership"]
    assert Membership.objects.count() == count
    assert not ChangeEvent.objects.filter(target_type="partners.membership").exists()


def test_a_membership_may_follow_one_that_ended(network_admin, org):
    person = UserFactory()
    MembershipFactory(
        user=person,
        organisation=org,
        role=Role.OPERATOR,
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2024, 12, 31),
    )
    services.membership_create(
        user=person,
        organisation=org,
        role=Role.OPERATOR,
        start_date=dt.date(2025, 1, 1),
        actor=network_admin,
    )
    assert person.memberships.count() == 2


def test_no_membership_at_an_inactive_organisation(network_admin, org):
    services.organisation_deactivate(organisation=org, actor=network_admin)
    with pytest.raises(ValidationError) as caught:
        services.membership_create(
            user=UserFactory(), organisation=org, role=Role.OPERATOR, actor=network_admin
        )
    assert "organisation" in caught.value.message_dict


def test_dates_out_of_order_are_refused(network_admin, org):
    with pytest.raises(ValidationError) as caught:
        services.membership_create(
            user=UserFactory(),
            organisation=org,
            role=Role.OPERATOR,
            start_date=dt.date(2025, 5, 1),
            end_date=dt.date(2025, 4, 30),
            actor=network_admin,
        )
    assert "end_date" in caught.value.message_dict


def test_a_referent_ends_a_membership_and_the_trail_records_it(referent, staff_member):
    membership = staff_member.memberships.get()
    last_day = timezone.localdate()

    services.membership_end(membership=membership, end_date=last_day, actor=referent)

    membership.refresh_from_db()
    assert membership.end_date == last_day
    event = audit_history(membership).get()
    assert (event.action, event.note) == ("state", "ended")
    assert event.changes == {"end_date": [None, last_day.isoformat()]}


def test_ending_before_the_start_changes_nothing(referent, staff_member):
    membership = staff_member.memberships.get()
    with pytest.raises(ValidationError):
        services.membership_end(
            membership=membership, end_date=dt.date(2024, 12, 31), actor=referent
        )
    membership.refresh_from_db()
    assert membership.end_date is None
    assert not audit_history(membership).exists()


def test_ending_an_ended_membership_again_is_refused(referent, staff_member):
    membership = staff_member.memberships.get()
    services.membership_end(membership=membership, end_date=dt.date(2025, 3, 1), actor=referent)
    with pytest.raises(ValidationError):
        services.membership_end(membership=membership, end_date=dt.date(2025, 4, 1), actor=referent)
    # An earlier end is a correction, and allowed.
    services.membership_end(membership=membership, end_date=dt.date(2025, 2, 1), actor=referent)
    membership.refresh_from_db()
    assert membership.end_date == dt.date(2025, 2, 1)


@pytest.mark.parametrize("actor_role", ["staff_member", "ambito_admin", "citizen"])
def test_who_may_not_end_memberships(request, staff_member, ambito_admin, citizen, actor_role):
    """A plain staff member, an ambito administrator (who may see, not change) and a
    citizen are refused."""
    actor = {"staff_member": staff_member, "ambito_admin": ambito_admin, "citizen": citizen}[
        actor_role
    ]
    membership = staff_member.memberships.get()
    with pytest.raises(PermissionDenied):
        services.membership_end(membership=membership, end_date=timezone.localdate(), actor=actor)
    membership.refresh_from_db()
    assert membership.end_date is None


def test_a_referent_cannot_end_an_administrative_membership(referent, org):
    admin_membership = MembershipFactory(organisation=org, role=Role.AMBITO_ADMIN)
    with pytest.raises(PermissionDenied):
        services.membership_end(
            membership=admin_membership, end_date=timezone.localdate(), actor=referent
        )


def test_the_referent_flag_changes_through_the_service(network_admin, staff_member):
    membership = staff_member.memberships.get()
    services.membership_update(
        membership=membership, actor=network_admin, data={"is_referent": True}
    )
    assert audit_history(membership).get().changes == {"is_referent": [False, True]}
    with pytest.raises(ValueError, match="role"):
        services.membership_update(
            membership=membership, actor=network_admin, data={"role": Role.DPO}
        )


# --- Invitations --------------------------------------------------------------------------


def test_a_referent_invites_and_the_mail_is_queued_after_commit(
    referent, org, queued_invitations, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitation = services.invitation_create(
            organisation=org,
            email=" Nuova.Collega@Example.org ",
            role=Role.OPERATOR,
            invited_by=referent,
        )
        assert queued_invitations == []  # nothing leaves before the commit

    assert len(callbacks) == 1
    assert queued_invitations == [invitation.pk]
    assert invitation.email == "nuova.collega@example.org"
    assert invitation.token_hash is None  # made when the mail is sent
    event = audit_history(invitation).get()
    assert (event.action, event.actor) == ("create", referent)
    assert "token_hash" not in event.changes


def test_the_expiry_comes_from_the_settings(referent, org, settings, queued_invitations):
    settings.INVITATION_EXPIRY_DAYS = 2
    invitation = services.invitation_create(
        organisation=org, email="a@example.org", role=Role.OPERATOR, invited_by=referent
    )
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=2)


def test_the_expiry_defaults_to_seven_days(referent, org, settings, queued_invitations):
    if hasattr(settings, "INVITATION_EXPIRY_DAYS"):
        del settings.INVITATION_EXPIRY_DAYS
    invitation = services.invitation_create(
        organisation=org, email="a@example.org", role=Role.OPERATOR, invited_by=referent
    )
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [("not-an-address", Role.OPERATOR, "email"), ("", Role.OPERATOR, "email")],
)
def test_invalid_invitations_create_nothing(
    network_admin, org, queued_invitations, email, role, field
):
    with pytest.raises(ValidationError) as caught:
        services.invitation_create(
            organisation=org, email=email, role=role, invited_by=network_admin
        )
    assert field in caught.value.message_dict
    assert not Invitation.objects.exists()
    assert not ChangeEvent.objects.exists()


def test_an_unknown_role_is_refused(network_admin, org, queued_invitations):
    with pytest.raises(ValidationError) as caught:
        services.invitation_create(
            organisation=org, email="a@example.org", role="wizard", invited_by=network_admin
        )
    assert "role" in caught.value.message_dict
    assert not Invitation.objects.exists()


def test_a_second_pending_invitation_is_refused(referent, org, queued_invitations):
    services.invitation_create(
        organisation=org, email="a@example.org", role=Role.OPERATOR, invited_by=referent
    )
    with pytest.raises(ValidationError) as caught:
        services.invitation_create(
            organisation=org, email="A@example.org", role=Role.OPERATOR, invited_by=referent
        )
    assert caught.value.error_dict["email"][0].code == "already_invited"
    assert Invitation.objects.count() == 1
    # Another role for the same address is another invitation.
    services.invitation_create(
        organisation=org, email="a@example.org", role=Role.FACILITATOR, invited_by=referent
    )
    assert Invitation.objects.count() == 2


def test_an_expired_invitation_is_replaced(referent, org, queued_invitations):
    old = services.invitation_create(
        organisation=org, email="a@example.org", role=Role.OPERATOR, invited_by=referent
    )
    Invitation.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=10),
        expires_at=timezone.now() - dt.timedelta(days=3),
    )

    new = services.invitation_create(
        organisation=org, email="a@example.org", role=Role.OPERATOR, invited_by=referent
    )

    old.refresh_from_db()
    assert old.revoked_at is not None
    assert new.status == "pending"
    assert audit_history(old).first().note == "expired, replaced by a new invitation"


def test_someone_who_already_holds_the_role_is_not_invited(referent, org, staff_member):
    with pytest.raises(ValidationError) as caught:
        services.invitation_create(
            organisation=org,
            email=staff_member.email.upper(),
            role=Role.PARTNER_STAFF,
            invited_by=referent,
        )
    assert caught.value.error_dict["email"][0].code == "already_member"


@pytest.mark.parametrize("role", [Role.NETWORK_ADMIN, Role.AMBITO_ADMIN, Role.DPO])
def test_a_referent_cannot_invite_to_administrative_roles(referent, org, role):
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            organisation=org, email="a@example.org", role=role, invited_by=referent
        )
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["staff_member", "ambito_admin", "citizen"])
def test_who_may_not_invite(staff_member, ambito_admin, citizen, org, who):
    actor = {"staff_member": staff_member, "ambito_admin": ambito_admin, "citizen": citizen}[who]
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            organisation=org, email="a@example.org", role=Role.OPERATOR, invited_by=actor
        )


def test_no_invitation_to_an_inactive_organisation(network_admin, org):
    services.organisation_deactivate(organisation=org, actor=network_admin)
    with pytest.raises(ValidationError):
        services.invitation_create(
            organisation=org, email="a@example.org", role=Role.OPERATOR, invited_by=network_admin
        )


def test_a_referent_revokes_and_the_trail_records_it(referent, org, queued_invitations):
    invitation = services.invitation_create(
        organisation=org, email="a@example.org", role=Role.OPERATOR, invited_by=referent
    )

    services.invitation_revoke(invitation=invitation, actor=referent)

    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    assert invitation.revoked_by == referent
    assert audit_history(invitation).first().note == "revoked"
    with pytest.raises(ValidationError):
        services.invitation_revoke(invitation=invitation, actor=referent)


def test_another_organisations_referent_cannot_revoke(referent, org, queued_invitations):
    invitation = services.invitation_create(
        organisation=org, email="a@example.org", role=Role.OPERATOR, invited_by=referent
    )
    stranger = MembershipFactory(role=Role.PARTNER_STAFF, is_referent=True).user
    with pytest.raises(PermissionDenied):
        services.invitation_revoke(invitation=invitation, actor=stranger)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
