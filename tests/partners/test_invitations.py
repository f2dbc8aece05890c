"""Invitations from sending to acceptance: the mail leaves once with a link whose token is
stored only as a hash; the link puts the invitation in the browser's session and moves on
to a page without the token; the invited person logs in with that address and accepts; an
expired, withdrawn, used or misdirected link changes nothing and says why; the token
appears in no page, audit row or log."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.utils import timezone

from legami.audit import audit_history
from legami.models import AccessEvent, ChangeEvent, User
from legami.roles import Role
from partners import services
from partners.models import Invitation, Membership
from partners.tasks import send_invitation
from tests.legami.factories import PASSWORD, UserFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/partners/invitations/([A-Za-z0-9_-]+)/)")
ACCEPT = "/partners/invitations/accept/"
LINK_OF_CONFIRMATION = re.compile(r"https?://[^/\s]+(/accounts/confirm-email/\S+)")


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


def opened(client, path: str):
    """``client`` after following the invitation link ``path``: on to the token-free page."""
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == ACCEPT
    return client


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


# --- The link -----------------------------------------------------------------------------


def test_the_link_remembers_the_invitation_and_moves_on_without_the_token(client, invited):
    """As Django's password reset does: the token leaves the address bar at once."""
    invitation, path = invited
    token = path.split("/")[-2]

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == ACCEPT
    assert response["Cache-Control"].startswith("max-age=0")
    assert client.session["partners_invitation_id"] == invitation.pk
    page = client.get(ACCEPT)
    assert page.status_code == 200
    assert token not in page.content.decode()


def test_the_link_answers_only_get(client, invited):
    _invitation, path = invited
    assert client.post(path).status_code == 405


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43])
def test_an_unknown_link_is_not_found_and_its_token_is_not_repeated(client, token, caplog):
    """Not in the page (not even in the language switch), not in Django's request log: a
    wrong token may be most of a right one."""
    client.cookies["django_language"] = "en"

    with caplog.at_level(logging.INFO):
        response = client.get(f"/partners/invitations/{token}/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "This invitation link is not valid" in html
    assert token not in html
    assert "partners_invitation_id" not in client.session
    logged = [r.getMessage() for r in caplog.records]
    assert "Not Found: /partners/invitations/<token>/" in logged
    assert not any(token in message for message in logged)


def test_the_page_without_an_opened_link_says_to_open_it_again(login, invitee):
    """A browser that has not followed the link (or lost its session) finds nothing."""
    for client in (Client(), login(invitee)):
        client.cookies["django_language"] = "en"
        for response in (client.get(ACCEPT), client.post(ACCEPT)):
            assert response.status_code == 404
            assert "Open the link in the invitation e-mail again" in response.content.decode()


# --- Accepting ----------------------------------------------------------------------------


def test_a_visitor_is_asked_to_log_in_or_sign_up_and_comes_back(client, invited):
    invitation, path = invited
    client.cookies["django_language"] = "en"

    response = opened(client, path).get(ACCEPT)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Cooperativa Il Ponte" in html
    assert "Social worker" in html
    assert f'href="/accounts/login/?next={ACCEPT}"' in html
    assert f'href="/accounts/signup/?next={ACCEPT}"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_visitor_cannot_accept_without_logging_in(client, invited):
    invitation, path = invited
    response = opened(client, path).post(ACCEPT)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/partners/invitations/accept/"
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_the_invitation_survives_logging_in_through_the_login_page(client, invited, invitee, org):
    """allauth gives the session a new key on login but keeps what it holds."""
    # Given a visitor who followed the link and was sent to log in
    invitation, path = invited
    opened(client, path)
    before = client.cookies["sessionid"].value

    # When they log in on the real login page with the invited address
    response = client.post(
        f"/accounts/login/?next={ACCEPT}", {"login": invitee.email, "password": PASSWORD}
    )

    # Then they come back to the invitation, in a new session that still holds it
    assert response.status_code == 302
    assert response["Location"] == ACCEPT
    assert client.cookies["sessionid"].value != before
    assert client.session["_auth_user_id"] == str(invitee.pk)
    page = client.get(ACCEPT)
    assert page.status_code == 200
    assert "Accept the invitation" in page.content.decode()
    assert client.post(ACCEPT)["Location"] == "/dashboard/"
    assert Membership.objects.filter(user=invitee, organisation=org).exists()


def test_a_newcomer_signs_up_confirms_logs_in_and_accepts(client, invited, org):
    """Someone without an account signs up with the invited address from the page,
    confirms it and logs in (allauth then shows the dashboard); the same browser still
    holds the invitation, and the link opens it again."""
    # Given a visitor who followed the link and signs up from the invitation page
    invitation, path = invited
    opened(client, path)
    response = client.post(
        f"/accounts/signup/?next={ACCEPT}",
        {"email": invitation.email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response["Location"] == "/accounts/confirm-email/"

    # When they confirm the address and log in as allauth asks
    confirm = LINK_OF_CONFIRMATION.search(mail.outbox[-1].body)
    assert confirm, mail.outbox[-1].body
    assert client.post(confirm.group(1))["Location"] == "/accounts/login/"
    response = client.post("/accounts/login/", {"login": invitation.email, "password": PASSWORD})
    assert response["Location"] == "/dashboard/"

    # Then the invitation is still there, and the link leads to it too
    assert client.get(ACCEPT).status_code == 200
    assert opened(client, path).post(ACCEPT)["Location"] == "/dashboard/"
    assert Membership.objects.filter(user__email=invitation.email, organisation=org).exists()


def test_the_invited_person_accepts_and_acts_for_the_organisation(login, invited, invitee, org):
    invitation, path = invited
    client = opened(login(invitee), path)

    page = client.get(ACCEPT)
    assert page.status_code == 200
    assert "Accept the invitation" in page.content.decode()
    assert f'action="{ACCEPT}"' in page.content.decode()

    response = client.post(ACCEPT)

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
    assert "partners_invitation_id" not in client.session


def test_the_audit_trail_of_an_acceptance_does_not_hold_the_token(login, invited, invitee):
    """The rows written while the invitation is opened and accepted name the token-free
    page as their address."""
    invitation, path = invited
    token = path.split("/")[-2]
    client = opened(login(invitee), path)
    written_before = ChangeEvent.objects.count(), AccessEvent.objects.count()

    client.get(ACCEPT)
    client.get(f"/partners/{invitation.organisation.slug}/")
    assert client.post(ACCEPT).status_code == 302

    changes = ChangeEvent.objects.order_by("pk")[written_before[0] :]
    assert {c.path for c in changes} == {ACCEPT}
    assert {c.note for c in changes} >= {"accepted", f"invitation {invitation.pk} accepted"}
    every_path = [
        *ChangeEvent.objects.values_list("path", flat=True),
        *AccessEvent.objects.values_list("path", flat=True),
    ]
    assert not any(token in p for p in every_path)


def test_the_address_matches_whatever_its_case(login, invite, verified):
    invitation = invite(email="Giulia.Ferrari@Example.org")
    send_invitation(invitation.pk)
    path, _ = sent_link(mail.outbox[0])
    person = verified(UserFactory(email="giulia.ferrari@example.org"))
    assert opened(login(person), path).post(ACCEPT).status_code == 302
    assert person.memberships.exists()


def test_a_referent_invitation_makes_a_referent(login, invite, invitee):
    invitation = invite(is_referent=True)
    send_invitation(invitation.pk)
    path, _ = sent_link(mail.outbox[0])
    opened(login(invitee), path).post(ACCEPT)
    assert Membership.objects.get(user=invitee).is_referent


def test_someone_added_meanwhile_keeps_their_membership(login, invited, invitee, org):
    """Accepting does not duplicate a membership the person already holds."""
    invitation, path = invited
    existing = MembershipFactory(user=invitee, organisation=org, role=Role.OPERATOR)
    assert opened(login(invitee), path).post(ACCEPT).status_code == 302
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
    opened(login(invitee), path).post(ACCEPT)
    # Now a social worker, they log in again with their second factor.
    client = login(User.objects.get(pk=invitee.pk))

    for response in (opened(client, path).get(ACCEPT), client.post(ACCEPT)):
        assert response.status_code == 410
        assert "already been accepted" in response.content.decode()
    assert Membership.objects.filter(user=invitee).count() == 1


def test_an_expired_link_is_gone_and_changes_nothing(login, invited, invitee):
    invitation, path = invited
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - dt.timedelta(days=9),
        expires_at=timezone.now() - dt.timedelta(days=2),
    )
    client = opened(login(invitee), path)

    for response in (client.get(ACCEPT), client.post(ACCEPT)):
        assert response.status_code == 410
        assert "This invitation expired on" in response.content.decode()
    assert_unchanged(invitation)


def test_a_link_that_expires_while_its_page_is_open_changes_nothing(login, invited, invitee):
    """The page is judged when it is sent, not when the link was followed."""
    invitation, path = invited
    client = opened(login(invitee), path)
    assert client.get(ACCEPT).status_code == 200
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - dt.timedelta(days=7),
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )

    assert client.post(ACCEPT).status_code == 410
    assert_unchanged(invitation)


def test_a_withdrawn_link_is_gone_and_changes_nothing(login, invited, invitee, referent):
    invitation, path = invited
    services.invitation_revoke(invitation=invitation, actor=referent)
    invitation.refresh_from_db()
    client = opened(login(invitee), path)

    for response in (client.get(ACCEPT), client.post(ACCEPT)):
        assert response.status_code == 410
        assert "withdrawn" in response.content.decode()
    assert_unchanged(invitation)


def test_someone_else_cannot_accept(login, invited, verified):
    """A logged-in person with another address is refused, even with a verified one."""
    invitation, path = invited
    other = verified(UserFactory(email="qualcun.altro@example.org"))
    client = opened(login(other), path)

    for response in (client.get(ACCEPT), client.post(ACCEPT)):
        assert response.status_code == 403
        assert "sent to another e-mail address" in response.content.decode()
    assert_unchanged(invitation)
    assert not other.memberships.exists()


def test_an_unconfirmed_address_cannot_accept(login, invited):
    invitation, path = invited
    unconfirmed = UserFactory(email="giulia.ferrari@example.org")

    response = opened(login(unconfirmed), path).post(ACCEPT)

    assert response.status_code == 403
    assert "Confirm your e-mail address" in response.content.decode()
    assert_unchanged(invitation)


def test_a_deactivated_organisation_takes_no_one_in(login, invited, invitee, network_admin, org):
    invitation, path = invited
    services.organisation_deactivate(organisation=org, actor=network_admin)

    response = opened(login(invitee), path).post(ACCEPT)

    assert response.status_code == 410
    assert_unchanged(invitation)


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
    assert opened(login(invitee), path).post(ACCEPT).status_code == 302

    assert Membership.objects.filter(user=invitee, organisation=org).exists()
