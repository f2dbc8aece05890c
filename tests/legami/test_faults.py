"""Faults end to end, with real servers that go down and come back (issue 11).

* PostgreSQL restarted under traffic: a private cluster (``initdb`` in a temporary folder,
  its own port) serves the app under gunicorn with the production settings. While the
  server is down every request fails cleanly and quickly — a 503 with ``Retry-After``,
  the "temporarily unavailable" page (JSON under /api/, the health probe naming the
  database), nothing of the error in the body — and once it is back the same gunicorn
  processes serve again by themselves, writes included. Traffic from a few threads
  during the restart never sees a 500 or a hang.
* Redis down: a private redis-server (append-only file, as in docker-compose) is the
  cache and the Celery broker. Killed (SIGKILL), pages, a guest's sign-up to a lab
  meeting and a pact change still work, and the work they queue is kept in the outbox;
  started again, the outbox drain hands each task to Redis exactly once.

The servers' binaries are needed: without them the tests are skipped, unless
``LEGAMI_REQUIRE_FAULTS=1`` (CI) makes that a failure. The shared PostgreSQL and Redis of
the test run are never touched.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import glob
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
REQUIRED = os.environ.get("LEGAMI_REQUIRE_FAULTS", "").strip().lower() in {"1", "true", "yes"}
# A request never waits longer than this, down or not (the app's connect_timeout is 5 s).
REQUEST_TIMEOUT = 15.0


def _missing(what: str) -> None:
    message = f"{what}: the fault tests need it (set LEGAMI_REQUIRE_FAULTS=1 to fail instead)"
    if REQUIRED:
        pytest.fail(message.split(" (")[0], pytrace=False)
    pytest.skip(message)


def _pg_bin() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(re.search(r"/(\d+)/", p).group(1)),  # type: ignore[union-attr]
    )
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(predicate: Any, timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def _stop_process(proc: subprocess.Popen[Any], timeout: float = 15) -> None:
    """TERM the process group, then KILL it; always reaped."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
    else:
        # The leader is gone; what it started may not be.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


# --- A private PostgreSQL cluster ------------------------------------------------------------


@dataclass
class Cluster:
    bin: Path
    folder: Path
    port: int
    as_postgres: list[str]
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.data = self.folder / "data"
        self.sockets = self.folder / "sockets"
        self.log = self.folder / "server.log"

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [*self.as_postgres, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.folder,
        )

    def init(self) -> None:
        done = self.run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def start(self) -> None:
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.sockets} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        done = self.run(
            str(self.bin / "pg_ctl"),
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            timeout=90,
        )
        assert done.returncode == 0, done.stdout + done.stderr + self.server_log()

    def stop(self, mode: str = "fast") -> None:
        done = self.run(
            str(self.bin / "pg_ctl"), "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.data)
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def kill(self) -> None:
        """Whatever is left: immediate stop, then SIGKILL of the postmaster."""
        if not self.running():
            return
        self.run(str(self.bin / "pg_ctl"), "stop", "-m", "immediate", "-D", str(self.data))
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError, IndexError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        import psycopg2

        conn = psycopg2.connect(self.url(database), connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def server_log(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    pg_bin = _pg_bin()
    if pg_bin is None or not (pg_bin / "initdb").exists():
        _missing("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    assert pg_bin is not None
    as_postgres: list[str] = []
    owner = None
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
        import pwd

        runuser = shutil.which("runuser")
        if runuser is None:
            _missing("runuser (to run PostgreSQL as the postgres user)")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _missing("the postgres system user")
        as_postgres = [str(runuser), "-u", "postgres", "--"]
    made = Cluster(pg_bin, Path(tempfile.mkdtemp(prefix="legami-faults-pg-")), 0, as_postgres)
    try:
        made.port = _free_port()
        made.sockets.mkdir()
        if owner is not None:
            for path in (made.folder, made.sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        made.init()
        made.start()
        made.sql("CREATE DATABASE legami")
        yield made
    finally:
        made.kill()
        shutil.rmtree(made.folder, ignore_errors=True)


# --- The app under gunicorn, on that cluster -------------------------------------------------

SETTINGS_MODULE = '''
"""The production settings, with static files served from the app folders: the test
does not run collectstatic (legami.settings asks for its manifest when DEBUG is off)."""
from legami.settings import *  # noqa: F403
from legami.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
'''

SEED = """
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", "--noinput", verbosity=0)
from allauth.account.models import EmailAddress
from labs.models import LabStatus
from legami.models import User
from tests.labs.factories import LabFactory, MeetingFactory

meeting = MeetingFactory(lab=LabFactory(status=LabStatus.ACTIVE), capacity=0)
user = User.objects.create_user(email="citizen@example.org", password=PASSWORD)
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
print(json.dumps({"lab": meeting.lab.slug, "meeting": meeting.pk}))
"""

PASSWORD = "a-long-test-password-1"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float
    cookies: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class App:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    meeting_path: str

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Reply:
        """One request as a browser behind the HTTPS proxy sends it."""
        from urllib.parse import urlencode

        sent = {
            "Host": "127.0.0.1",
            "X-Forwarded-Proto": "https",
            "Accept": "text/html,application/json",
            **(headers or {}),
        }
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = "https://127.0.0.1"
            sent["Referer"] = f"https://127.0.0.1{path}"
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            content = response.read().decode("utf-8", errors="replace")
            got = {k.lower(): v for k, v in response.getheaders()}
            new_cookies = {}
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    new_cookies[key.strip()] = rest.split(";", 1)[0]
        finally:
            conn.close()
        return Reply(response.status, got, content, time.monotonic() - started, new_cookies)

    def workers(self) -> set[int]:
        """The pids of the gunicorn workers (children of the master)."""
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parts = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(parts[1]) == self.proc.pid:
                found.add(int(stat.parent.name))
        return found

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _django_env(cluster: Cluster, var: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "DATABASE_", "REDIS_", "CACHE_", "CELERY_"))
    }
    env.update(
        {
            "DATABASE_URL": cluster.url("legami"),
            # No Redis: this test is about the database (file cache, file-system broker).
            "CACHE_URL": f"filecache://{var / 'cache'}",
            "CELERY_BROKER_URL": "filesystem://",
            "DJANGO_SETTINGS_MODULE": "faults_settings",
            "PYTHONPATH": os.pathsep.join([str(var), str(ROOT)]),
            "DEBUG": "false",
            "SECRET_KEY": "faults-" + secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LEGAMI_VAR_DIR": str(var),
            "EMAIL_URL": "dummymail://",
            "LANGUAGE_CODE": "it",
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "INFO",
        }
    )
    return env


def _copy_schema(request: pytest.FixtureRequest, cluster: Cluster) -> None:
    """When this test run is on PostgreSQL, copy its migrated test database's schema
    (and the record of the migrations applied) into the private cluster: a few seconds,
    where migrating from nothing takes most of a minute. On SQLite the seed migrates."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    import psycopg2

    # The test database, migrated (unless no test of this run uses the database: then the
    # configured one, if it is there).
    request.getfixturevalue("django_db_setup")
    source = connection.settings_dict
    try:
        probe = psycopg2.connect(
            dbname=source["NAME"],
            host=source.get("HOST") or "127.0.0.1",
            port=source.get("PORT") or 5432,
            user=source.get("USER") or "postgres",
            password=source.get("PASSWORD") or "",
            connect_timeout=5,
        )
    except psycopg2.Error:
        return
    try:
        with probe.cursor() as cur:
            cur.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
            if not cur.fetchone()[0]:
                return
    finally:
        probe.close()
    env = {**os.environ, "PGPASSWORD": str(source.get("PASSWORD") or "")}
    where = [
        "-h",
        str(source.get("HOST") or "127.0.0.1"),
        "-p",
        str(source.get("PORT") or 5432),
        "-U",
        str(source.get("USER") or "postgres"),
    ]
    dump = [str(cluster.bin / "pg_dump"), *where, "--no-owner", "--no-privileges"]
    schema = subprocess.run(  # noqa: S603
        [*dump, "--schema-only", str(source["NAME"])],
        capture_output=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    applied = subprocess.run(  # noqa: S603
        [*dump, "--data-only", "--table=django_migrations", str(source["NAME"])],
        capture_output=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    loaded = subprocess.run(  # noqa: S603
        [
            str(cluster.bin / "psql"),
            "-q",
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            cluster.url("legami"),
        ],
        input=schema + applied,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr.decode(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def app(request: pytest.FixtureRequest, cluster: Cluster) -> Iterator[App]:
    var = Path(tempfile.mkdtemp(prefix="legami-faults-app-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        (var / "faults_settings.py").write_text(SETTINGS_MODULE)
        env = _django_env(cluster, var)
        _copy_schema(request, cluster)
        seeded = subprocess.run(  # noqa: S603
            [PYTHON, "-c", f"PASSWORD = {PASSWORD!r}\n" + textwrap.dedent(SEED)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        port = _free_port()
        log = var / "gunicorn.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(  # noqa: S603
                [
                    str(Path(PYTHON).parent / "gunicorn"),
                    "legami.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "60",
                    "--graceful-timeout",
                    "5",
                    "--access-logfile",
                    "-",
                    "--logger-class",
                    "legami.gunicorn_logging.RedactingLogger",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        running = App(port, proc, log, f"/labs/{seed['lab']}/meetings/{seed['meeting']}/")
        last: list[object] = []

        def up() -> bool:
            assert running.proc.poll() is None, running.log_text()[-3000:]
            try:
                reply = running.request("GET", "/health/", timeout=5)
            except OSError as exc:
                last[:] = [exc]
                return False
            last[:] = [reply.status, reply.body[:500]]
            return reply.status == 200

        try:
            _wait(up, 90, "gunicorn to answer /health/", interval=0.3)
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {last}\n{running.log_text()[-3000:]}") from None
        yield running
    finally:
        if proc is not None:
            _stop_process(proc)
        shutil.rmtree(var, ignore_errors=True)


LEAKS = ("Traceback", "OperationalError", "InterfaceError", "psycopg", "SELECT ", "postgres")


def _clean_503(reply: Reply, *, json_body: bool = False) -> None:
    assert reply.status == 503, (reply.status, reply.body[:2000])
    assert reply.seconds < 10, f"the answer took {reply.seconds:.1f} s"
    assert int(reply.headers["retry-after"]) > 0
    for leak in LEAKS:
        assert leak not in reply.body, leak
    if json_body:
        assert reply.headers["content-type"].startswith("application/json")
        assert set(reply.json()) == {"detail"}
    else:
        assert reply.headers["content-type"].startswith("text/html")
        assert '<html lang="it">' in reply.body
        assert "503" in reply.body and "bootstrap-italia" in reply.body


def _csrf(app: App, path: str, cookies: dict[str, str]) -> str:
    page = app.request("GET", path, cookies=cookies)
    assert page.status == 200, (page.status, page.body[:500])
    cookies.update(page.cookies)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert token, "no CSRF token in the form"
    return token.group(1)


def _sign_up(app: App, email: str, cookies: dict[str, str], token: str) -> Reply:
    form = {"name": "Giulia Bianchi", "email": email, "consent": "on"}
    return app.request(
        "POST", app.meeting_path, form={**form, "csrfmiddlewaretoken": token}, cookies=cookies
    )


def _log_in(app: App) -> dict[str, str]:
    cookies: dict[str, str] = {}
    token = _csrf(app, "/accounts/login/", cookies)
    reply = app.request(
        "POST",
        "/accounts/login/",
        form={"login": "citizen@example.org", "password": PASSWORD, "csrfmiddlewaretoken": token},
        cookies=cookies,
    )
    assert reply.status == 302, (reply.status, reply.body[:1000])
    cookies.update(reply.cookies)
    assert "sessionid" in cookies
    return cookies


class Traffic:
    """Threads asking for pages over and over; every answer (or error) is recorded."""

    PATHS = ("/", "/labs/", "/health/")

    def __init__(self, app: App, threads: int = 3) -> None:
        self.app = app
        self.stop = threading.Event()
        self.seen: list[tuple[str, int | str, float]] = []
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(threads)
        ]

    def run(self, n: int) -> None:
        i = n
        while not self.stop.is_set():
            path = self.PATHS[i % len(self.PATHS)]
            i += 1
            started = time.monotonic()
            outcome: int | str
            try:
                reply = self.app.request("GET", path)
                outcome = reply.status
                # The probe names the failing check's error class, by design.
                leaks = LEAKS[:1] + LEAKS[3:] if path == "/health/" else LEAKS
                if reply.status >= 500 and any(leak in reply.body for leak in leaks):
                    outcome = f"{reply.status} leaking"
            except Exception as exc:  # noqa: BLE001 - recorded and asserted on
                outcome = type(exc).__name__
            with self.lock:
                self.seen.append((path, outcome, time.monotonic() - started))
            time.sleep(0.05)

    def __enter__(self) -> Traffic:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=REQUEST_TIMEOUT + 5)
        assert not any(thread.is_alive() for thread in self.threads)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgresql_restarted_under_traffic(cluster: Cluster, app: App, mode: str):
    workers = app.workers()
    assert len(workers) == 2
    # Up: pages that read the database, the probe, and a logged-in person's page.
    for _ in range(4):
        assert app.request("GET", "/").status == 200
        assert app.request("GET", app.meeting_path).status == 200
    health = app.request("GET", "/health/")
    assert health.status == 200 and health.json()["checks"]["database"]["status"] == "ok"
    session = _log_in(app)
    assert app.request("GET", "/dashboard/", cookies=session).status == 200
    form_cookies: dict[str, str] = {}
    token = _csrf(app, app.meeting_path, form_cookies)

    with Traffic(app) as traffic:
        time.sleep(0.5)
        cluster.stop(mode)
        down_since = time.monotonic()

        # Down: each kind of request fails quickly and cleanly, on both workers.
        for _ in range(3):
            _clean_503(app.request("GET", "/"))
            _clean_503(app.request("GET", app.meeting_path))
        # The session is read by a middleware, before any view: the same 503.
        _clean_503(app.request("GET", "/dashboard/", cookies=session))
        # A write is refused the same way, and nothing half-done is left (checked below).
        _clean_503(_sign_up(app, "during@example.org", form_cookies, token))
        api = app.request("GET", "/api/v1/me/", headers={"Authorization": "Token " + "0" * 40})
        _clean_503(api, json_body=True)
        health = app.request("GET", "/health/")
        assert health.status == 503 and health.seconds < 10
        checks = health.json()["checks"]
        assert checks["database"]["status"] == "error"
        assert checks["cache"]["status"] == "ok" and checks["broker"]["status"] == "ok"
        # A page that needs no database still answers.
        assert app.request("GET", "/static/legami/css/legami.css").status == 200
        time.sleep(max(0.0, 2 - (time.monotonic() - down_since)))

        cluster.start()
        back = time.monotonic()

        # Back: the same processes serve again by themselves, within seconds.
        def serving() -> bool:
            return app.request("GET", "/").status == 200

        _wait(serving, 15, "the app to serve again", interval=0.2)
        recovered_in = time.monotonic() - back
        for _ in range(6):  # every worker, not just the first to reconnect
            assert app.request("GET", app.meeting_path).status == 200
            assert app.request("GET", "/health/").status == 200
        time.sleep(0.5)

    # Writes work again: a guest's sign-up, a login (the old session lived in the
    # database, which kept it) and its page.
    email = f"after-{mode}@example.org"
    reply = _sign_up(app, email, form_cookies, token)
    assert reply.status == 302, (reply.status, reply.body[:1000])
    assert app.request("GET", "/dashboard/", cookies=session).status == 200
    assert app.request("GET", "/dashboard/", cookies=_log_in(app)).status == 200
    emails = {row[0] for row in cluster.sql("SELECT email FROM labs_registration", "legami")}
    assert email in emails and "during@example.org" not in emails

    assert app.workers() == workers, "gunicorn workers were restarted"
    assert recovered_in < 15
    outcomes = {outcome for _path, outcome, _seconds in traffic.seen}
    assert outcomes <= {200, 503}, sorted(map(str, outcomes))
    assert 503 in outcomes and 200 in outcomes
    slowest = max(seconds for _path, _outcome, seconds in traffic.seen)
    assert slowest < 10, f"a request took {slowest:.1f} s"
    log = app.log_text()
    assert "database unavailable" in log
    assert "Internal Server Error" not in log


# --- Redis down and back ----------------------------------------------------------------------


@dataclass
class RedisServer:
    binary: str
    folder: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (again) on the same port and folder: the append-only file, as in
        docker-compose, brings back what was queued before a crash."""
        with (self.folder / "redis.log").open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                    "--dir",
                    str(self.folder),
                    "--daemonize",
                    "no",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def answers() -> bool:
            assert self.proc is not None and self.proc.poll() is None, self.log()
            import redis

            try:
                with self.client() as client:
                    return bool(client.ping())
            except (OSError, redis.exceptions.RedisError):
                return False  # not listening yet, or still loading its file

        _wait(answers, 30, "redis-server to answer")

    def kill(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(timeout=15)
            self.proc = None

    def client(self) -> Any:
        import redis

        return redis.Redis(
            host="127.0.0.1", port=self.port, socket_timeout=5, socket_connect_timeout=2
        )

    def queued(self) -> list[tuple[str, list[Any]]]:
        """The task name and arguments of every message waiting in Celery's queue."""
        with self.client() as client:
            raw = client.lrange("celery", 0, -1)
        found = []
        for item in raw:
            message = json.loads(item)
            body = json.loads(base64.b64decode(message["body"]))
            found.append((message["headers"]["task"], body[0]))
        # LPUSH puts the newest first: oldest first, as a worker takes them.
        return found[::-1]

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def log(self) -> str:
        path = self.folder / "redis.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        _missing("redis-server is not installed")
    assert binary is not None
    server = RedisServer(binary, Path(tempfile.mkdtemp(prefix="legami-faults-redis-")), 0)
    try:
        server.port = _free_port()
        server.start()
        yield server
    finally:
        server.kill()
        shutil.rmtree(server.folder, ignore_errors=True)


def _reset_broker_pools() -> None:
    """Close the Celery app's connections, so the next send opens them on the broker
    configured now (only when the test changes the broker, never to help recovery)."""
    from kombu import pools

    from legami.celery import app as celery_app

    for pool in (celery_app.amqp._producer_pool, celery_app._pool):
        if pool is not None:
            pool.force_close_all()
    celery_app.amqp._producer_pool = None
    celery_app._pool = None
    # kombu keeps its producer pools by connection (URL): a closed one would be found
    # again for the same broker and refuse every later send ("Acquire on closed pool").
    pools.reset()


@pytest.fixture
def on_private_redis(redis_server: RedisServer, settings: Any) -> Iterator[RedisServer]:
    """Cache and Celery broker on the private Redis, configured as legami/settings.py
    configures them for a REDIS_URL."""
    from legami.celery import app as celery_app

    settings.CACHES = {
        "default": {
            "BACKEND": "legami.cache.ResilientRedisCache",
            "LOCATION": redis_server.url(),
            "KEY_PREFIX": "faults",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    options = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
    settings.CELERY_BROKER_URL = redis_server.url()
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
    saved = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options)
    _reset_broker_pools()
    celery_app.conf.broker_url = redis_server.url()
    celery_app.conf.broker_transport_options = options
    try:
        yield redis_server
    finally:
        _reset_broker_pools()
        celery_app.conf.broker_url, celery_app.conf.broker_transport_options = saved


def _timed(call: Any, *args: Any, **kwargs: Any) -> Any:
    started = time.monotonic()
    result = call(*args, **kwargs)
    took = time.monotonic() - started
    assert took < 10, f"{call} took {took:.1f} s with Redis down"
    return result


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_redis_down_then_back(
    on_private_redis: RedisServer,
    client: Any,
    social_worker: Any,
    social_worker_client: Any,
    partner_user: Any,
):
    from django.core.management import call_command
    from django.utils import timezone

    from labs.models import Registration
    from legami.models import OutboxMessage
    from pacts.models import PactStatus, Reminder, Review
    from pacts.tasks import scan_review_reminders
    from tests.labs.factories import MeetingFactory
    from tests.labs.test_public import active_lab, meeting_url
    from tests.pacts.factories import pact_in

    redis_server = on_private_redis
    meeting = MeetingFactory(lab=active_lab(), capacity=0)
    pact = pact_in(PactStatus.ACTIVE, worker=social_worker, partner_signer=partner_user)

    def sign_up(email: str) -> Registration:
        response = client.post(
            meeting_url(meeting), {"name": "Giulia Bianchi", "email": email, "consent": "on"}
        )
        assert response.status_code == 302, response.content[:1000]
        return Registration.objects.get(meeting=meeting, email=email)

    # Up: a sign-up's mail goes straight to Redis.
    before = sign_up("before@example.org")
    first = ("labs.send_registration_mail", [before.pk, "confirm_address"])
    assert redis_server.queued() == [first]
    assert not OutboxMessage.objects.exists()

    redis_server.kill()  # SIGKILL: no goodbye to the clients

    # Down: pages answer, the probe names cache and broker, not the database.
    assert _timed(client.get, "/").status_code == 200
    assert _timed(client.get, "/labs/").status_code == 200
    assert _timed(client.get, meeting_url(meeting)).status_code == 200
    health = _timed(client.get, "/health/")
    checks = health.json()["checks"]
    assert health.status_code == 503 and checks["database"]["status"] == "ok"
    assert checks["cache"]["status"] == "error" and checks["broker"]["status"] == "error"

    # A guest signs up: saved, and the mail waits in the outbox.
    during = _timed(sign_up, "during@example.org")
    # A pact change: its review is recorded, the next one due in three days...
    next_review = timezone.localdate() + dt.timedelta(days=3)
    data = {f"goal_{goal.pk}": "achieved" for goal in pact.goals.all()}
    data["next_review_on"] = next_review.isoformat()
    response = _timed(social_worker_client.post, f"/pacts/{pact.public_id}/reviews/new/", data)
    assert response.status_code == 302, response.content[:1000]
    pact.refresh_from_db()
    assert pact.next_review_on == next_review and Review.objects.filter(pact=pact).exists()
    # ...so the daily scan (beat's job, run here as a worker would) reminds its people.
    assert _timed(scan_review_reminders) == 2
    reminders = sorted(Reminder.objects.filter(pact=pact).values_list("pk", flat=True))

    expected = [("labs.send_registration_mail", [during.pk, "confirm_address"])] + [
        ("pacts.send_review_reminder", [pk]) for pk in reminders
    ]
    kept = [(m.task, m.args) for m in OutboxMessage.objects.order_by("pk")]
    assert kept == expected

    # Back (the same port, its append-only file): the drain hands each task over once.
    redis_server.start()
    assert redis_server.queued() == [first]
    call_command("drain_outbox")
    assert not OutboxMessage.objects.exists()
    waiting = redis_server.queued()
    assert waiting == [first, *expected]
    call_command("drain_outbox")
    assert redis_server.queued() == waiting

    # And new work goes straight to Redis again, the cache works again.
    after = sign_up("after@example.org")
    assert redis_server.queued()[-1] == (
        "labs.send_registration_mail",
        [after.pk, "confirm_address"],
    )
    assert not OutboxMessage.objects.exists()
    assert client.get("/health/").status_code == 200


# --- Which database errors are a 503 (in-process, quick) --------------------------------------


def _database_error(code: str | None, error: type[Exception] | None = None) -> Exception:
    from django.db import OperationalError

    class DriverError(Exception):
        pgcode = code

    try:
        try:
            raise DriverError("the driver's message")
        except DriverError as cause:
            raise (error or OperationalError)("the driver's message") from cause
    except Exception as exc:  # noqa: BLE001 - handed back, as Django wraps a driver error
        return exc


@pytest.mark.parametrize(
    ("code", "unavailable"),
    [
        (None, True),  # refused, timed out, connection lost: no SQLSTATE
        ("08006", True),  # connection failure
        ("57P01", True),  # admin shutdown (pg_ctl stop -m fast)
        ("57P03", True),  # cannot connect now (starting up)
        ("40P01", False),  # deadlock: a 500, not "unavailable"
        ("57014", False),  # statement timeout
    ],
)
def test_only_a_database_that_does_not_answer_is_unavailable(code, unavailable):
    from legami.middleware import database_unavailable_error

    assert database_unavailable_error(_database_error(code)) is unavailable


def test_other_database_errors_are_not_unavailable():
    from django.db import IntegrityError, InterfaceError, OperationalError, ProgrammingError

    from legami.middleware import database_unavailable_error

    assert database_unavailable_error(InterfaceError("connection already closed"))
    assert not database_unavailable_error(_database_error(None, ProgrammingError))
    assert not database_unavailable_error(_database_error(None, IntegrityError))
    # SQLite: a missing table is a bug, a file locked too long is "try again".
    assert not database_unavailable_error(OperationalError("no such table: legami_user"))
    assert database_unavailable_error(OperationalError("database is locked"))


@pytest.mark.django_db
def test_a_database_down_in_a_view_or_a_middleware_is_a_clean_503(monkeypatch):
    from django.test import Client

    down = _database_error(None)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise down

    client = Client(raise_request_exception=False)
    monkeypatch.setattr("legami.views.ambito_list", refuse)
    page = client.get("/")
    assert page.status_code == 503 and int(page["Retry-After"]) > 0
    assert page["Content-Language"] == "it" and '<html lang="it">' in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    # In a middleware (the session is loaded before any view): the same, through handler500.
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", refuse)
    client.cookies["sessionid"] = "x" * 32
    assert client.get("/").status_code == 503
    # Under /api/ the JSON error.
    api = client.get("/api/v1/me/")
    assert api.status_code == 503 and set(api.json()) == {"detail"}
    # Another database error stays a 500.
    monkeypatch.setattr(
        "django.contrib.sessions.backends.db.SessionStore.load",
        lambda *a, **k: (_ for _ in ()).throw(_database_error("40P01")),
    )
    assert client.get("/").status_code == 500
