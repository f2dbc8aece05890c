"""Configuration comes from the environment and a bad value stops the start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_KEY = "p" * 20 + "r0d-k3y-" + "q" * 40


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # Only the process basics: none of the test run's own settings may leak in.
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    base.update({"DJANGO_SETTINGS_MODULE": "legami.settings", "LEGAMI_VAR_DIR": str(tmp_path)})
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production_env() -> dict[str, str]:
    env = {
        "DEBUG": "false",
        "SECRET_KEY": PRODUCTION_KEY,
        "ALLOWED_HOSTS": "legami.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://legami.example.org",
        "EMAIL_URL": "smtp://mail.example.org:587",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


def test_production_settings_pass_the_deploy_check(tmp_path):
    """With a production-like environment, `check --deploy` reports no warning at all."""
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], _production_env(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_quick_start_settings_fail_the_deploy_check(tmp_path):
    """DEBUG with the development key is not deployable, and the check says so."""
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], {"DEBUG": "true"}, tmp_path)
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG on


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "false", "SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"DEBUG": "false", "SECRET_KEY": "short"}, "SECRET_KEY must be at least 50"),
        ({"DEBUG": "false", "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is not set"),
        ({"DATABASE_URL": "mysql://db/legami"}, "DATABASE_URL='mysql://db/legami' has scheme"),
        ({"CACHE_URL": "memcache://x"}, "CACHE_URL='memcache://x' has scheme"),
        ({"CELERY_BROKER_URL": "kafka://x"}, "CELERY_BROKER_URL='kafka://x' has scheme"),
        ({"EMAIL_URL": "pigeon://x"}, "EMAIL_URL='pigeon://x' has scheme"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL='http://x' has scheme"),
        ({"LANGUAGE_CODE": "fr"}, "LANGUAGE_CODE='fr'"),
        ({"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE='Mars/Olympus' is not a known time zone"),
        ({"CONN_MAX_AGE": "soon"}, "CONN_MAX_AGE='soon' is not a whole number"),
        ({"STAFF_SESSION_IDLE_MINUTES": "0"}, "STAFF_SESSION_IDLE_MINUTES=0 must be at least 1"),
        ({"STAFF_SESSION_MAX_HOURS": "ten"}, "STAFF_SESSION_MAX_HOURS='ten' is not a whole number"),
    ],
)
def test_a_bad_value_stops_the_start_with_a_clear_message(tmp_path, env, message):
    """Each setting read from the environment names itself when its value is wrong."""
    full = {"DEBUG": "true", **env}
    if full["DEBUG"] == "false":
        full.setdefault("SECRET_KEY", PRODUCTION_KEY)
        full.setdefault("ALLOWED_HOSTS", "legami.example.org")
    result = _run(["check"], full, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_quick_start_defaults_need_no_server(tmp_path):
    """With no environment at all but DEBUG, Legami uses SQLite, a file cache and broker."""
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE']);"
        "print(s.CACHES['default']['BACKEND']);"
        "print(s.CELERY_BROKER_URL);"
        "print(s.TIME_ZONE, s.LANGUAGE_CODE)"
    )
    result = _run(["shell", "-v", "0", "-c", code], {"DEBUG": "true"}, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split()
    assert lines[:5] == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.filebased.FileBasedCache",
        "filesystem://",
        "Europe/Rome",
        "it",
    ]


def test_redis_url_sets_cache_and_broker(tmp_path):
    """REDIS_URL alone moves both the cache (failing open: legami/cache.py) and the Celery
    broker to Redis."""
    code = (
        "from django.conf import settings as s;"
        "print(s.CACHES['default']['BACKEND']);"
        "print(s.CELERY_BROKER_URL)"
    )
    result = _run(
        ["shell", "-v", "0", "-c", code],
        {"DEBUG": "true", "REDIS_URL": "redis://r:6379/0"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "legami.cache.ResilientRedisCache",
        "redis://r:6379/0",
    ]
