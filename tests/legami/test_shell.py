"""The shell every page shares: security headers, navigation by role, static files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(client):
    """No inline script or style may run: the policy allows our own files only."""
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


def test_a_visitor_sees_only_public_navigation(client):
    html = client.get("/").content.decode()
    assert 'href="/dashboard/"' not in html
    assert 'href="/admin/"' not in html
    assert 'href="/accounts/login/"' in html


def test_a_logged_in_person_sees_the_dashboard_but_not_the_admin(citizen_client):
    html = citizen_client.get("/").content.decode()
    assert 'href="/dashboard/"' in html
    assert 'href="/admin/"' not in html


def test_staff_see_the_administration(admin_client):
    assert 'href="/admin/"' in admin_client.get("/").content.decode()


def test_the_dashboard_needs_a_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_dashboard_lists_the_persons_memberships(social_worker_client, social_worker):
    html = social_worker_client.get("/dashboard/").content.decode()
    membership = social_worker.memberships.get()
    assert membership.organisation.name in html
    assert "Operatore sociale" in html


def test_an_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Pagina non trovata" in response.content.decode()


@pytest.mark.slow
def test_static_files_collect_for_production(tmp_path):
    """collectstatic with the hashed-manifest storage succeeds: every url() in the
    vendored CSS points to a file that exists."""
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="legami.settings",
        DEBUG="false",
        SECRET_KEY="collectstatic-test-" + "k" * 40,
        ALLOWED_HOSTS="legami.example.org",
        STATIC_ROOT=str(tmp_path / "static"),
        LEGAMI_VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "vendor/bootstrap-italia/dist/css/bootstrap-italia.min.css" in manifest
    assert "vendor/htmx.org/dist/htmx.min.js" in manifest


def test_the_access_log_is_in_the_navigation_of_dpo_and_coordinators_only(
    dpo_client, coordinator_client, social_worker_client
):
    assert 'href="/audit/access/"' in dpo_client.get("/").content.decode()
    assert 'href="/audit/access/"' in coordinator_client.get("/").content.decode()
    assert 'href="/audit/access/"' not in social_worker_client.get("/").content.decode()


def test_everyone_finds_who_read_their_data_from_the_dashboard(citizen_client):
    assert 'href="/account/access-report/"' in citizen_client.get("/dashboard/").content.decode()
