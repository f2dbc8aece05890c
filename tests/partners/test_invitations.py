"""Invitations from sending to acceptance: the mail leaves once with a link whose token is
stored only as a hash; the invited person logs in with that address and accepts; an
expired, withdrawn, used or misdirected link changes nothing and says why."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from legami.audit import audit_history
from legami.models import ChangeEvent, User
from legami.roles import Role
from partners import services
from partners.models import Invitation, Membership
from partners.tasks import send_invitation
from tests.legami.factories import UserFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/partners/invitations/([A-Za-z0-9_-]+)/)")


@pytest.fixture
def org():
    return OrganisationFactory(slug="coop-il-ponte", name="Cooperativa Il Ponte")


@pytest.fixture
def referent(org):
    return MembershipFactory(
        organisation=org,
        role=Role.PARTNER_STAFF,
        is_referent=True,
        user__first_name="Anna",
        user__last_name="Rossi",
    ).user


@pytest.fixture
def invite(org, referent, queued_invitations):
    def _invite(email="giulia.ferrari@example.org", role=Role.OPERATOR, **kwargs):
        return services.invitation_create(
            organisation=org, email=email, role=role, invited_by=referent, **kwargs
        )

    return _invite


def sent_link(message) -> tuple[str, str]:
    """The path and the token of the link in a sent invitation mail."""
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1), match.group(2)


@pytest.fixture
def invited(invite):
    """An invitation e-mailed to giulia.ferrari@example.org: (invitation, link path)."""
    invitation = invite()
    assert send_invitation(invitation.pk) is True
    path, _token = sent_link(mail.outbox[-1])
    invitation.refresh_from_db()
    return invitation, path


@pytest.fixture
def invitee(verified):
    return verified(UserFactory(email="giulia.ferrari@example.org", language="en"))


# --- The mail -----------------------------------------------------------------------------


def test_the_mail_is_sent_once_even_if_the_task_runs_twice(invite):
    """A re-delivered task finds the invitation sent and sends nothing."""
    invitation = invite()

    assert send_invitation(invitation.pk) is True
    assert send_invitation(invitation.pk) is False

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["giulia.ferrari@example.org"]
    assert message.alternatives[0][1] == "text/html"
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    notes = list(audit_history(invitation).values_list("note", flat=True))
    assert notes.count("e-mailed") == 1


def test_only_the_hash_of_the_token_is_stored(invite):
    """The token is in the mail alone: the database holds its SHA-256 and nothing else,
    and the task's only argument is the invitation's id."""
    invitation = invite()
    send_invitation(invitation.pk)
    path, token = sent_link(mail.outbox[0])

    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 40
    stored = [str(v) for v in Invitation.objects.values().get()] + [
        str(c) for c in ChangeEvent.objects.values_list("changes", "note", "path")
    ]
    assert not any(token in value for value in stored)
    html = mail.outbox[0].alternatives[0][0]
    assert path in html


def test_the_mail_speaks_the_invitees_language(invite, verified):
    """Someone with an account set to English gets English; an unknown address Italian."""
    UserFactory(email="english@example.org", language="en")
    send_invitation(invite(email="english@example.org").pk)
    send_invitation(invite(email="sconosciuto@example.org").pk)

    english, italian = mail.outbox
    assert "Social worker" in english.body
    assert '<html lang="en">' in english.alternatives[0][0]
    assert "Operatore sociale" in italian.body
    assert '<html lang="it">' in italian.alternatives[0][0]


def test_the_mail_names_who_invites_to_what(invite):
    send_invitation(invite().pk)
    body = mail.outbox[0].body
    assert "Anna Rossi" in body
    assert "Cooperativa Il Ponte" in body


def test_a_failed_sending_records_nothing_so_a_retry_sends(invite, monkeypatch):
    """If the mail server fails, the invitation stays unsent (and the task retries)."""
    invitation = invite()

    def fail(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("gone")

    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", fail)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            services.invitation_send(invitation_id=invitation.pk)

    invitation.refresh_from_db()
    assert (invitation.sent_at, invitation.token_hash) == (None, None)
    assert send_invitation(invitation.pk) is True
    assert len(mail.outbox) == 1


def test_the_task_returns_quietly_when_there_is_nothing_to_send(invite, referent):
    """Gone, withdrawn or expired before the worker got to it: no mail."""
    revoked = invite(email="a@example.org")
    services.invitation_revoke(invitation=revoked, actor=referent)
    expired = invite(email="b@example.org")
    Invitation.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - dt.timedelta(days=9),
        expires_at=timezone.now() - dt.timedelta(days=2),
    )

    assert send_invitation(revoked.pk) is False
    assert send_invitation(expired.pk) is False
    assert send_invitation(987654) is False
    assert mail.outbox == []


# --- Accepting ----------------------------------------------------------------------------


def test_a_visitor_is_asked_to_log_in_or_sign_up_and_comes_back(client, invited):
    invitation, path = invited
    client.cookies["django_language"] = "en"

    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Cooperativa Il Ponte" in html
    assert "Social worker" in html
    assert f'href="/accounts/login/?next={path}"' in html
    assert f'href="/accounts/signup/?next={path}"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_visitor_cannot_accept_without_logging_in(client, invited):
    invitation, path = invited
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_the_invited_person_accepts_and_acts_for_the_organisation(login, invited, invitee, org):
    invitation, path = invited
    client = login(invitee)

    page = client.get(path)
    assert page.status_code == 200
    assert "Accept the invitation" in page.content.decode()

    response = client.post(path)

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    membership = Membership.objects.get(user=invitee)
    assert (membership.organisation, membership.role) == (org, Role.OPERATOR)
    assert membership.start_date == timezone.localdate()
    assert membership.end_date is None
    invitation.refresh_from_db()
    assert invitation.accepted_by == invitee
    assert invitation.status == "accepted"
    assert audit_history(membership).get().note == f"invitation {invitation.pk} accepted"
    assert audit_history(invitation).first().note == "accepted"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Welcome: you now act for Cooperativa Il Ponte as Social worker."]


def test_the_address_matches_whatever_its_case(login, invite, verified):
    invitation = invite(email="Giulia.Ferrari@Example.org")
    send_invitation(invitation.pk)
    path, _ = sent_link(mail.outbox[0])
    person = verified(UserFactory(email="giulia.ferrari@example.org"))
    assert login(person).post(path).status_code == 302
    assert person.memberships.exists()


def test_a_referent_invitation_makes_a_referent(login, invite, invitee):
    invitation = invite(is_referent=True)
    send_invitation(invitation.pk)
    path, _ = sent_link(mail.outbox[0])
    login(invitee).post(path)
    assert Membership.objects.get(user=invitee).is_referent


def test_someone_added_meanwhile_keeps_their_membership(login, invited, invitee, org):
    """Accepting does not duplicate a membership the person already holds."""
    invitation, path = invited
    existing = MembershipFactory(user=invitee, organisation=org, role=Role.OPERATOR)
    assert login(invitee).post(path).status_code == 302
    assert list(Membership.objects.filter(user=invitee)) == [existing]
    invitation.refresh_from_db()
    assert invitation.status == "accepted"


def assert_unchanged(invitation: Invitation) -> None:
    before = (invitation.accepted_at, invitation.revoked_at)
    invitation.refresh_from_db()
    assert (invitation.accepted_at, invitation.revoked_at) == before
    assert not Membership.objects.filter(user__email=invitation.email).exists()


def test_a_used_link_is_gone(login, invited, invitee):
    invitation, path = invited
    login(invitee).post(path)
    # Now a social worker, they log in again with their second factor.
    client = login(User.objects.get(pk=invitee.pk))

    again = client.post(path)

    assert again.status_code == 410
    assert "already been accepted" in again.content.decode()
    assert Membership.objects.filter(user=invitee).count() == 1


def test_an_expired_link_is_gone_and_changes_nothing(login, invited, invitee):
    invitation, path = invited
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - dt.timedelta(days=9),
        expires_at=timezone.now() - dt.timedelta(days=2),
    )
    client = login(invitee)

    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        assert "This invitation expired on" in response.content.decode()
    assert_unchanged(invitation)


def test_a_withdrawn_link_is_gone_and_changes_nothing(login, invited, invitee, referent):
    invitation, path = invited
    services.invitation_revoke(invitation=invitation, actor=referent)
    invitation.refresh_from_db()
    client = login(invitee)

    response = client.post(path)

    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    assert_unchanged(invitation)


def test_someone_else_cannot_accept(login, invited, verified):
    """A logged-in person with another address is refused, even with a verified one."""
    invitation, path = invited
    other = verified(UserFactory(email="qualcun.altro@example.org"))
    client = login(other)

    for response in (client.get(path), client.post(path)):
        assert response.status_code == 403
        assert "sent to another e-mail address" in response.content.decode()
    assert_unchanged(invitation)
    assert not other.memberships.exists()


def test_an_unconfirmed_address_cannot_accept(login, invited):
    invitation, path = invited
    unconfirmed = UserFactory(email="giulia.ferrari@example.org")

    response = login(unconfirmed).post(path)

    assert response.status_code == 403
    assert "Confirm your e-mail address" in response.content.decode()
    assert_unchanged(invitation)


def test_a_deactivated_organisation_takes_no_one_in(login, invited, invitee, network_admin, org):
    invitation, path = invited
    services.organisation_deactivate(organisation=org, actor=network_admin)

    response = login(invitee).post(path)

    assert response.status_code == 410
    assert_unchanged(invitation)


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43])
def test_an_unknown_link_is_not_found(client, token):
    client.cookies["django_language"] = "en"
    response = client.get(f"/partners/invitations/{token}/")
    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()


def test_the_whole_way_from_the_members_page(
    login, referent, org, invitee, queued_invitations, django_capture_on_commit_callbacks
):
    """A referent invites on the members page; the worker sends; the person accepts."""
    with django_capture_on_commit_callbacks(execute=True):
        response = login(referent).post(
            f"/partners/{org.slug}/members/invite/",
            {"email": invitee.email, "role": Role.OPERATOR},
        )
    assert response.status_code == 302
    (invitation_id,) = queued_invitations

    send_invitation(invitation_id)
    path, _ = sent_link(mail.outbox[0])
    assert login(invitee).post(path).status_code == 302

    assert Membership.objects.filter(user=invitee, organisation=org).exists()
