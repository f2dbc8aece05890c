"""The deployment files describe a working production: no Docker engine runs here, so
their structure is checked instead (services, builds, environment, health checks)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_five_services_and_a_migration_step(compose):
    assert set(compose["services"]) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert compose["services"]["db"]["image"].startswith("postgres:")
    assert compose["services"]["redis"]["image"].startswith("redis:")


@pytest.mark.parametrize("name", ["migrate", "web", "worker", "beat"])
def test_app_services_build_the_image_and_reach_db_and_redis(compose, name):
    service = compose["services"][name]
    assert service["build"] == "."
    env = service["environment"]
    assert env["DEBUG"] == "false"
    assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert "SECRET_KEY" in env
    assert service["depends_on"]["db"]["condition"] == "service_healthy"
    assert service["depends_on"]["redis"]["condition"] == "service_healthy"


def test_web_waits_for_migrations_and_serves_with_gunicorn(compose):
    web = compose["services"]["web"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert web["command"][0] == "gunicorn" and web["command"][1] == "legami.wsgi:application"
    assert any("/health/" in part for part in web["healthcheck"]["test"])
    assert compose["services"]["migrate"]["command"][-2:] == ["migrate", "--noinput"]


def test_web_and_image_run_gunicorn_with_threads_from_one_config(compose):
    """The compose file and the image start gunicorn with legami/gunicorn_conf.py, which
    gunicorn reads as threaded workers with the redacting logger: a long download holds
    a thread, and is not killed at the worker timeout."""
    from gunicorn.config import Config

    import legami.gunicorn_conf as conf

    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert '"--config", "python:legami.gunicorn_conf"]' in dockerfile
    assert compose["services"]["web"]["command"][2:] == ["--config", "python:legami.gunicorn_conf"]

    # As gunicorn loads a config module: every public name must be one of its settings.
    cfg = Config()
    for name in (n for n in vars(conf) if not n.startswith("_") and n != "os"):
        assert name in cfg.settings, name
        cfg.set(name, getattr(conf, name))

    assert cfg.worker_class_str == "gthread"
    assert cfg.threads >= 2
    assert cfg.logger_class.__name__ == "RedactingLogger"
    assert cfg.bind == ["0.0.0.0:8000"]


def test_worker_and_beat_run_celery_with_the_database_scheduler(compose):
    worker = compose["services"]["worker"]["command"]
    beat = compose["services"]["beat"]["command"]
    assert worker[:4] == ["celery", "-A", "legami", "worker"]
    assert beat[:4] == ["celery", "-A", "legami", "beat"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in beat


def test_every_service_has_a_health_check_and_data_is_on_volumes(compose):
    for name, service in compose["services"].items():
        if name != "migrate":
            assert "healthcheck" in service, name
    assert set(compose["volumes"]) >= {"pgdata", "redisdata"}
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]


def test_compose_environment_uses_only_documented_settings(compose):
    """Every variable the app services set is one README documents."""
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.M))
    used = set(compose["services"]["web"]["environment"])
    assert used <= documented, used - documented


def test_dockerfile_builds_a_non_root_image_with_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+", dockerfile, flags=re.M)
    assert "pip install ." in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^USER legami$", dockerfile, flags=re.M)
    copied = set(re.findall(r"^COPY (\S+) ", dockerfile, flags=re.M))
    for app in (
        "legami",
        "partners",
        "beneficiaries",
        "pacts",
        "labs",
        "civic_center",
        "research",
        "fundraising",
        "reports",
        "templates",
        "static",
        "locale",
    ):
        assert app in copied, app


@pytest.mark.django_db
def test_healthcheck_command_passes_when_all_parts_answer(capsys):
    call_command("healthcheck")
    assert '"broker": {"status": "ok"' in capsys.readouterr().out


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_BROKER_TRANSPORT_OPTIONS={})
def test_healthcheck_command_fails_naming_the_broken_part():
    with pytest.raises(CommandError, match="Not healthy: broker"):
        call_command("healthcheck")


def test_every_setting_read_from_the_environment_is_documented():
    """README's configuration table lists every variable legami/settings.py reads."""
    settings_source = (ROOT / "legami" / "settings.py").read_text()
    read = set(re.findall(r'(?:_int|_bool|_url|env\.str|env\.list)\("([A-Z_]+)"', settings_source))
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.M))
    assert read, "no settings found: the pattern above no longer matches settings.py"
    assert read - documented == set()
