"""``make bench``: every benchmark of Legami, one after the other, each in its own
process; a table of the results, and ``bench/results.json``.

    .venv/bin/python -m bench.run [--scale 1.0] [--only case_list,reports] [--output PATH]

``--scale 1`` is the issue's default scale (a province of 100,000 people, 1,000,000+
events, 500 sign-ups for 50 seats, 100,000 reminders, a 1,000,000-row export); a small
scale (``--scale 0.002``) is the smoke run CI makes so that no benchmark rots. Each
benchmark measures its floor in the same run and reports its ratio (1.0: as fast as the
floor; more: slower) and its checks. The exit status is 1 if any benchmark failed a
check or did not finish.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common

# (module, what it needs) in the order they run: the province dataset first (made by the
# first benchmark that needs it), then those that make their own databases.
BENCHMARKS = ("case_list", "reports", "matching", "signup_rush", "reminders", "export_csv")
RESULTS = common.ROOT / "bench" / "results.json"


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=common.ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=common.ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return out.stdout.strip() + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _postgres_version() -> str:
    import psycopg2

    conn = psycopg2.connect(common.database_url("postgres"))
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            return str(cur.fetchone()[0])
    finally:
        conn.close()


def machine() -> dict[str, Any]:
    """What the figures depend on."""
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "postgresql": _postgres_version(),
        "platform": platform.platform(),
        "commit": _git_commit(),
    }


def run_one(name: str, scale: float, timeout: float) -> dict[str, Any]:
    """Run ``bench.<name>`` in its own process; its result (or a failed one)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{name}.json"
        started = time.perf_counter()
        try:
            proc = subprocess.run(  # noqa: S603
                [common.PYTHON, "-m", f"bench.{name}", "--scale", str(scale), "--json", str(out)],
                cwd=common.ROOT,
                timeout=timeout,
                check=False,
            )
            status = proc.returncode
        except subprocess.TimeoutExpired:
            status = None
        seconds = time.perf_counter() - started
        if out.exists():
            res: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        else:
            res = {
                "name": name,
                "title": name,
                "scale": scale,
                "ratio": None,
                "checks": {
                    "finished": False if status is None else status == 0,
                    "wrote a result": False,
                },
                "ok": False,
            }
        res["seconds"] = round(seconds, 1)
        res["exit_status"] = status
        if status not in (0, None) and res.get("ok"):
            # The benchmark's own verdict (e.g. the report's ratio limit) stands.
            res["ok"] = False
            res["checks"]["exit status 0"] = False
        return res


def _value(part: dict[str, Any] | None) -> str:
    if not part:
        return "—"
    return f"{part['value']:,.4g} {part['unit']}"


def table(results: list[dict[str, Any]]) -> str:
    """The results as a Markdown table (also readable in a terminal)."""
    lines = [
        "| benchmark | measured | floor (same run) | ratio | checks | time |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for res in results:
        ratio = "—" if res.get("ratio") is None else f"{res['ratio']:.2f}"
        failed = [name for name, passed in res.get("checks", {}).items() if not passed]
        checks = "all pass" if not failed else "FAILED: " + "; ".join(failed)
        lines.append(
            f"| {res.get('title', res['name'])} | {_value(res.get('measured'))} | "
            f"{_value(res.get('floor'))} | {ratio} | {checks} | {res.get('seconds', 0):.0f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (1.0: default)")
    parser.add_argument("--only", help="comma-separated benchmarks (default: all)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where results go")
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds one benchmark may take"
    )
    args = parser.parse_args(argv)
    names = BENCHMARKS
    if args.only:
        names = tuple(n.strip() for n in args.only.split(",") if n.strip())
        unknown = set(names) - set(BENCHMARKS)
        if unknown:
            parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    before = machine()
    results = []
    for name in names:
        print(f"\n=== bench.{name} (scale {args.scale:g})", flush=True)
        results.append(run_one(name, args.scale, args.timeout))
    after = machine()
    document = {
        "scale": args.scale,
        "started_at": started,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {**before, "load_average_after": after["load_average"]},
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nscale {args.scale:g}, {before['cpus']} CPUs, load {before['load_average']}")
    print(table(results))
    print(f"\nwritten to {args.output}")
    return 0 if all(r.get("ok") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
