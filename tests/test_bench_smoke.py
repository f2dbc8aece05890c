"""Every benchmark of ``make bench`` runs at a tiny scale, so that none rots: the same
code as the full run (``bench/run.py``), on a province of 200 people, a rush of 50
sign-ups for 5 seats, 500 reminders with a worker killed midway, a 2,000-row export.
Its checks (exactly the seats confirmed, no reminder lost or sent twice, every figure of
the report equal to the SQL, the export's rows…) must pass; the ratios at this scale are
not judged (fixed costs dominate).

It needs the PostgreSQL server and Redis of the benchmarks (``BENCH_SERVER_URL``; the
local ones by default) and uses databases of its own (a prefix unique to the run,
dropped at the end; Redis databases 10 and 11). CI sets ``LEGAMI_REQUIRE_BENCH=1``: there a
missing server fails the test instead of skipping it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bench import common
from bench.run import BENCHMARKS

pytestmark = pytest.mark.slow

SCALE = 0.002


def _server_answers() -> bool:
    try:
        import psycopg2

        psycopg2.connect(common.database_url("postgres"), connect_timeout=3).close()
    except Exception:  # noqa: BLE001 (any failure means: no server to run on)
        return False
    return True


@pytest.fixture
def prefix():
    """A database prefix of this run; its databases are dropped afterwards."""
    name = f"legami_bench_t{uuid.uuid4().hex[:8]}"
    yield name
    import psycopg2

    conn = psycopg2.connect(common.database_url("postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [name + "%"])
            for (db,) in cur.fetchall():
                cur.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    finally:
        conn.close()


def test_every_benchmark_runs_at_a_tiny_scale(prefix, tmp_path: Path):
    """``make bench SCALE=0.002``: every benchmark finishes, writes its result with a
    ratio against its floor, and all its checks pass."""
    if not _server_answers():
        if os.environ.get("LEGAMI_REQUIRE_BENCH") == "1":
            pytest.fail("the benchmarks' PostgreSQL server does not answer")
        pytest.skip("no PostgreSQL server for the benchmarks")
    output = tmp_path / "results.json"
    # Redis databases of their own too (the benchmarks flush theirs): a developer's full
    # run on the same server is left alone.
    env = {
        **os.environ,
        "BENCH_DB_PREFIX": prefix,
        "BENCH_REDIS_URL": "redis://127.0.0.1:6379/10",
        "BENCH_REMINDERS_REDIS_URL": "redis://127.0.0.1:6379/11",
    }
    # The test settings of this process must not leak into the benchmarks' Django.
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL"):
        env.pop(name, None)
    proc = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.run", "--scale", str(SCALE), "--output", str(output)],
        cwd=common.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert output.exists(), proc.stdout[-5000:] + proc.stderr[-5000:]
    document = json.loads(output.read_text(encoding="utf-8"))
    results = {r["name"]: r for r in document["results"]}
    assert set(results) == set(BENCHMARKS)
    failed = {
        name: [check for check, passed in r["checks"].items() if not passed]
        for name, r in results.items()
        if not r["ok"]
    }
    assert not failed, f"{failed}\n{proc.stdout[-8000:]}\n{proc.stderr[-5000:]}"
    for r in results.values():
        assert r["ratio"] is not None and r["ratio"] > 0, r
        assert r["floor"]["value"] > 0, r
    assert proc.returncode == 0, proc.stdout[-5000:]
