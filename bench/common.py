"""What every benchmark of ``make bench`` shares: its databases, its result, its scale.

Each benchmark is a module ``bench/<name>.py`` runnable alone::

    .venv/bin/python -m bench.<name> [--scale 1.0] [--json PATH]

and ``bench/run.py`` (``make bench``) runs them one after the other, each in its own
process (its own Django settings, its own peak memory), and collects their results.

A result is a plain dict (JSON) made by :func:`result`: the quantity measured, the floor
it is compared with **measured in the same run** (a bare view, a raw SQL query, a no-op
task…), their ratio, the checks that must hold (exactly 50 confirmed, no reminder sent
twice…) and free details. ``ok`` is false when a check fails.

Databases: benchmarks that change data work in their own database, made in an instant
from a migrated empty template (``legami_bench_template``, migrated once per schema:
its name records the latest migration of every app). The province dataset of
``bench/report_data.py`` lives in ``legami_bench`` (``--scale`` decides its size).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SERVER_URL = os.environ.get("BENCH_SERVER_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
TEMPLATE_PREFIX = "legami_bench_template"
# The benchmarks run with production settings (DEBUG off): pages need collected static
# files and their manifest (``collectstatic()``).
STATIC_ROOT = ROOT / "var" / "bench" / "static"
# Database names start with "legami_bench"; BENCH_DB_PREFIX changes that start, so that two
# runs on one server (the CI smoke test and a developer's run) never share a database.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "legami_bench")


def database_name(name: str) -> str:
    """``name`` with the run's prefix (``legami_bench_rush`` → ``<prefix>_rush``)."""
    if name.startswith("legami_bench") and not name.startswith(TEMPLATE_PREFIX):
        return DB_PREFIX + name[len("legami_bench") :]
    return name


def database_url(name: str) -> str:
    """The URL of database ``name`` on the bench server (with the run's prefix)."""
    name = database_name(name)
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"unexpected database name {name!r}")
    parts = urlsplit(SERVER_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def province_url(scale: float) -> str:
    """The province dataset of ``bench/report_data.py`` at ``scale``: ``legami_bench`` at
    1.0, a database of its own at any other scale (a smoke run never replaces the full
    dataset)."""
    if scale == 1.0:
        return database_url("legami_bench")
    return database_url(f"legami_bench_{round(scale * 100_000)}")


def _admin() -> Any:
    import psycopg2

    conn = psycopg2.connect(database_url("postgres"))
    conn.autocommit = True
    return conn


def _schema_key() -> str:
    """A short hash of every migration file: a new migration makes a new template."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/[0-9]*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def django_env(url: str, **extra: str) -> dict[str, str]:
    """The environment of a Django process (manage.py, gunicorn, celery) on ``url``."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "legami.settings",
            "DEBUG": "false",
            "SECRET_KEY": env.get("SECRET_KEY", "bench-" + "x" * 50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LEGAMI_VAR_DIR": env.get("LEGAMI_VAR_DIR", str(ROOT / "var" / "bench")),
            "STATIC_ROOT": str(STATIC_ROOT),
        }
    )
    env.update(extra)
    return env


def template_database() -> str:
    """The name of a migrated empty database for this schema (made when missing)."""
    name = f"{TEMPLATE_PREFIX}_{_schema_key()}"
    conn = _admin()
    try:
        with conn.cursor() as cur:
            # One maker at a time (two runs sharing the server).
            cur.execute("SELECT pg_advisory_lock(hashtext(%s))", [TEMPLATE_PREFIX])
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone():
                return name
            # Older templates (another schema) go.
            cur.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                [TEMPLATE_PREFIX + "%"],
            )
            for (old,) in cur.fetchall():
                cur.execute(f"DROP DATABASE IF EXISTS {old} WITH (FORCE)")
            building = name + "_building"
            cur.execute(f"DROP DATABASE IF EXISTS {building} WITH (FORCE)")
            cur.execute(f"CREATE DATABASE {building}")
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=django_env(database_url(building)),
            check=True,
        )
        with conn.cursor() as cur:
            cur.execute(f"ALTER DATABASE {building} RENAME TO {name}")
        return name
    finally:
        conn.close()


def fresh_database(name: str) -> str:
    """Drop ``name`` if present and make it again, migrated and empty; its URL."""
    template = template_database()
    url = database_url(name)
    name = database_name(name)
    conn = _admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cur.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    finally:
        conn.close()
    return url


def drop_database(name: str) -> None:
    name = database_name(name)
    conn = _admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        conn.close()


def setup_django(url: str, **extra: str) -> None:
    """Configure this process's Django on ``url`` (call before importing models)."""
    os.environ.update(django_env(url, **extra))
    import django

    django.setup()


def collectstatic() -> float:
    """Collect the static files into STATIC_ROOT unless its manifest is newer than every
    source file (call after ``setup_django``); the seconds it took (to check, or to
    collect)."""
    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    started = time.perf_counter()
    manifest = STATIC_ROOT / "staticfiles.json"
    if manifest.exists():
        built = manifest.stat().st_mtime
        newest = max(
            (
                storage.get_modified_time(path).timestamp()
                for finder in get_finders()
                for path, storage in finder.list([])
            ),
            default=0.0,
        )
        if newest < built:
            return time.perf_counter() - started
    call_command("collectstatic", interactive=False, verbosity=0)
    return time.perf_counter() - started


def scaled(n: int, scale: float, minimum: int = 1) -> int:
    """``n`` at ``scale``, at least ``minimum``."""
    return max(minimum, round(n * scale))


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float]]:
    """The median of ``repeat`` timed calls of ``fn`` (seconds), and every time."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    times_sorted = sorted(times)
    mid = len(times_sorted) // 2
    median = (
        times_sorted[mid]
        if len(times_sorted) % 2
        else (times_sorted[mid - 1] + times_sorted[mid]) / 2
    )
    return median, times


def result(
    name: str,
    *,
    title: str,
    scale: float,
    measured: tuple[str, float, str],
    floor: tuple[str, float, str],
    higher_is_better: bool = False,
    limit: float | None = None,
    checks: dict[str, bool] | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One benchmark's result. ``measured`` and ``floor`` are (label, value, unit); the
    ratio is measured/floor for times (lower is better) and floor/measured for rates
    (``higher_is_better``), so that 1.0 is "as fast as the floor" and more is slower.
    ``limit``, when given, is the highest ratio accepted (a check of its own)."""
    m_label, m_value, m_unit = measured
    f_label, f_value, f_unit = floor
    if higher_is_better:
        ratio = f_value / m_value if m_value else float("inf")
    else:
        ratio = m_value / f_value if f_value else float("inf")
    all_checks = dict(checks or {})
    if limit is not None:
        all_checks[f"ratio ≤ {limit:g}"] = ratio <= limit
    return {
        "name": name,
        "title": title,
        "scale": scale,
        "measured": {"label": m_label, "value": m_value, "unit": m_unit},
        "floor": {"label": f_label, "value": f_value, "unit": f_unit},
        "ratio": ratio,
        "limit": limit,
        "checks": all_checks,
        "details": details or {},
        "ok": all(all_checks.values()),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def arguments(description: str | None) -> argparse.ArgumentParser:
    """The options every benchmark takes: ``--scale`` and ``--json``."""
    parser = argparse.ArgumentParser(description=(description or "").split("\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="size factor (1.0: the issue's default scale)"
    )
    parser.add_argument("--json", type=Path, help="write the result (JSON) to this file")
    return parser


def emit(res: dict[str, Any], path: Path | None) -> int:
    """Print a benchmark's result, write it to ``path``; the exit status (0 if ok)."""
    print(
        f"{res['title']}: {res['measured']['label']} {res['measured']['value']:.4g} "
        f"{res['measured']['unit']} vs {res['floor']['label']} {res['floor']['value']:.4g} "
        f"{res['floor']['unit']} → ratio {res['ratio']:.2f}"
    )
    for check, passed in res["checks"].items():
        print(f"  [{'ok' if passed else 'FAILED'}] {check}")
    if path is not None:
        path.write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")
    return 0 if res["ok"] else 1


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process (gunicorn, a Celery worker) for the duration of the block,
    its output in ``log``; stopped (TERM, then KILL) at the end."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gunicorn_command(port: int, *options: str) -> list[str]:
    """gunicorn serving Legami on 127.0.0.1:``port`` as production runs it
    (``legami/gunicorn_conf.py``), with ``options`` on top (they win)."""
    return [
        PYTHON,
        "-m",
        "gunicorn",
        "legami.wsgi:application",
        "--config",
        "python:legami.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        # Not the control socket every gunicorn 27 on the machine shares by default.
        "--no-control-socket",
        *options,
    ]


def wait_http(url: str, timeout: float = 60) -> None:
    """Wait until ``url`` answers (any status)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
