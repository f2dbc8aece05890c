"""Reminder dispatch (issue 11): 100,000 due review reminders, a worker killed mid-run
and restarted — none lost, none sent twice — and reminders per second.

The data set is made in SQL in an instant but is one the real code accepts: social
workers (operators of a municipal service, one per 250 reminders, at most 200), one
open case per person, an active pact per case whose next review is due (half overdue,
half due in 3 days), the case's two assigned workers as recipients, and one unsent
``Reminder`` per pact and worker with the very key ``reminders_scan`` would give it
(checked on a sample with ``reminder_recipients``). One ``pacts.send_review_reminder``
task per reminder is queued through the real app (``OutboxTask.apply_async``) on a
Redis database of its own (``BENCH_REMINDERS_REDIS_URL``, default db 13, flushed).

A Celery worker (``celery -A legami worker``, prefork, concurrency 2, the task settings
of production: late ack, reject on worker lost, prefetch 1) runs them; mail goes to
Django's file backend (``EMAIL_URL=filemail://…``: each message is written to disk
before ``reminder_send`` commits). When 40% are sent, the worker's whole process group
(parent and pool children) gets SIGKILL; a new worker starts once the broker's
visibility timeout (``CELERY_VISIBILITY_TIMEOUT``, 5 s here, 3600 s in production) has
passed, so that its first sweep of the unacknowledged messages hands out again the
tasks the dead worker had taken. Then: every reminder has ``sent_at``, the mail
directory holds exactly one message per reminder (recipient + pact title).

Floor, measured in the same run by the same worker: ``bench.noop``
(``bench/tasks_noop.py``, loaded with ``-I``: a task that does nothing), queued ahead
of the reminders, 20,000 at scale 1 (at least 500), from the first taken to the last.
Ratio: no-op tasks/s ÷ reminders/s, the reminders' rate from the first mail to the last,
kill and recovery included (the steady rate before the kill is in the details).

A window it measures rather than closes: ``reminder_send`` updates ``sent_at``, sends
the mail, then commits, in one locked transaction; a crash after the mail has left and
before COMMIT reaches the database leaves the reminder unsent, and its redelivered task
sends it again (with the file backend the window is microseconds; with SMTP it also
holds the QUIT round trip). The check "one mail per reminder" says whether that happened
in this run.
"""

from __future__ import annotations

import contextlib
import email
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from bench import common

NAME = "reminders"
DATABASE = "legami_bench_reminders"
BROKER_URL = os.environ.get("BENCH_REMINDERS_REDIS_URL", "redis://127.0.0.1:6379/13")
VISIBILITY_TIMEOUT = 5  # seconds; production: 3600
KILL_AT = 0.4
VAR = common.ROOT / "var" / "bench"
MAIL_DIR = VAR / "reminders_mail"
SEPARATOR = b"\n" + b"-" * 79 + b"\n"
WORKER = [
    common.PYTHON,
    "-m",
    "celery",
    "-A",
    "legami",
    "worker",
    "-l",
    "info",
    "--pool=prefork",
    "--concurrency=2",
    "--without-mingle",
    "--without-gossip",
    "--without-heartbeat",
    "-I",
    "bench.tasks_noop",
]
RECEIVED = re.compile(rb"Task (\S+)\[([0-9a-f-]{36})\] received")
SUCCEEDED = re.compile(rb"Task (\S+)\[([0-9a-f-]{36})\] succeeded in \S+: (\w+)")


def _env(url: str) -> dict[str, str]:
    return common.django_env(url, **_extra())


def _extra() -> dict[str, str]:
    return {
        "REDIS_URL": BROKER_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "EMAIL_URL": "filemail:///" + str(MAIL_DIR),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }


def _start_worker(url: str, name: str) -> subprocess.Popen[bytes]:
    """A worker in a process group of its own (pgid = its pid), its output in a log."""
    log = VAR / f"reminders_{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603
            [*WORKER, "-n", f"bench-{name}@%h"],
            cwd=common.ROOT,
            env=_env(url),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker's whole process group (parent and pool children): a crash."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.02)


def _stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """A warm shutdown (TERM), then KILL of the group if it hangs."""
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
    if _group_alive(proc.pid):
        _kill_group(proc)


# --- Data ----------------------------------------------------------------------------------


def build(n: int) -> dict[str, Any]:
    """Workers, people, cases, assignments, active pacts due for review and ``n`` unsent
    reminders (two per pact: the case's two workers)."""
    import datetime as dt

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    workers = max(2, min(200, n // 250))
    pacts = (n + 1) // 2
    today = timezone.localdate()
    params: dict[str, Any] = {
        "w": workers,
        "half": workers // 2,
        "p": pacts,
        "p2": n // 2,
        "since": today - dt.timedelta(days=365),
        "opened": today - dt.timedelta(days=120),
        "start": today - dt.timedelta(days=60),
        "overdue": today - dt.timedelta(days=3),
        "soon": today + dt.timedelta(days=min(3, settings.PACT_REMINDER_DAYS_BEFORE)),
        "today": today,
    }
    statements = [
        """INSERT INTO legami_ambito (id, code, name, managing_body, is_active)
           VALUES (1, 'BENCH', 'Ambito bench', 'Comune capofila bench', true)""",
        """INSERT INTO partners_organisation (id, name, slug, kind, tax_code, address, email,
               phone, website, is_funder, member_since, is_active)
           VALUES (1, 'Servizio sociale bench', 'servizio-sociale-bench', 'comune', '', '', '',
               '', '', false, NULL, true)""",
        """INSERT INTO partners_organisation_ambiti (organisation_id, ambito_id) VALUES (1, 1)""",
        """INSERT INTO legami_user (id, password, last_login, is_superuser, first_name,
               last_name, is_staff, is_active, date_joined, email, language)
           SELECT g, '!', NULL, false, 'Operatore', 'Bench ' || g, false, true, now(),
               'worker' || g || '@bench.legami.invalid',
               CASE WHEN g %% 2 = 0 THEN 'en' ELSE 'it' END
           FROM generate_series(1, %(w)s) g""",
        """INSERT INTO partners_membership (role, start_date, end_date, user_id,
               organisation_id, is_referent)
           SELECT 'operator', %(since)s, NULL, g, 1, false FROM generate_series(1, %(w)s) g""",
        """INSERT INTO beneficiaries_person (id, public_id, first_name, last_name,
               codice_fiscale, no_codice_fiscale_reason, birth_date, sex, birth_country,
               citizenship, languages, phone, email, address, restricted, anonymised_at,
               created_at)
           SELECT g, gen_random_uuid(), 'Persona', 'Bench ' || g, '', 'bench', NULL, '', '',
               '', '', '', '', '', false, NULL, now()
           FROM generate_series(1, %(p)s) g""",
        """INSERT INTO beneficiaries_case (id, opened_on, stage, closed_on, closure_reason,
               ambito_id, organisation_id, intake_id, person_id)
           SELECT g, %(opened)s, 'pact', NULL, '', 1, 1, NULL, g
           FROM generate_series(1, %(p)s) g""",
        """INSERT INTO beneficiaries_caseassignment (kind, start, "end", assigned_by_id,
               case_id, worker_id)
           SELECT 'lead', %(opened)s, NULL, NULL, g, ((g - 1) %% %(w)s) + 1
           FROM generate_series(1, %(p)s) g""",
        """INSERT INTO beneficiaries_caseassignment (kind, start, "end", assigned_by_id,
               case_id, worker_id)
           SELECT 'support', %(opened)s, NULL, NULL, g, ((g - 1 + %(half)s) %% %(w)s) + 1
           FROM generate_series(1, %(p2)s) g""",
        """INSERT INTO pacts_pact (id, public_id, covers_household, title, context, strengths,
               status, start_date, end_date, review_every_weeks, next_review_on, ended_on,
               interruption_reason, scan, created_at, updated_at, case_id, created_by_id,
               person_id, renewal_of_id)
           SELECT g, gen_random_uuid(), false, 'bench-pact-' || g, '', '', 'active',
               %(start)s, NULL, 8,
               CASE WHEN g %% 2 = 1 THEN %(overdue)s::date ELSE %(soon)s::date END,
               NULL, '', '', now(), now(), g, NULL, g, NULL
           FROM generate_series(1, %(p)s) g""",
        # As reminders_scan makes them: one per recipient, kind and review date, unsent.
        """INSERT INTO pacts_reminder (key, kind, due_on, created_at, sent_at, dismissed_at,
               pact_id, recipient_id)
           SELECT 'pact:' || p.id || ':review:' || to_char(p.next_review_on, 'YYYY-MM-DD')
                   || ':' || k.kind || ':user:' || a.worker_id,
               k.kind, p.next_review_on, now(), NULL, NULL, p.id, a.worker_id
           FROM pacts_pact p
           JOIN beneficiaries_caseassignment a ON a.case_id = p.case_id
           CROSS JOIN LATERAL (SELECT CASE WHEN p.next_review_on < %(today)s
               THEN 'overdue' ELSE 'due_soon' END AS kind) k
           ORDER BY p.id, a.worker_id""",
    ]
    started = time.perf_counter()
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql, params)
        for table in (
            "legami_ambito",
            "partners_organisation",
            "legami_user",
            "beneficiaries_person",
            "beneficiaries_case",
            "pacts_pact",
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                f" (SELECT max(id) FROM {table}))"
            )
        cur.execute("ANALYZE")
    return {"workers": workers, "pacts": pacts, "build_s": time.perf_counter() - started}


def validate_sample(sample: int = 40) -> bool:
    """The rows are those the real scan would make: for a sample of pacts, the keys of
    their reminders are those ``reminders_scan`` computes from ``reminder_recipients``
    (which asks the access policy), and the scan would select every pact."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from pacts.models import Pact, PactStatus, Reminder, ReminderKind
    from pacts.services.follow import reminder_recipients

    today = timezone.localdate()
    horizon = today + dt.timedelta(days=settings.PACT_REMINDER_DAYS_BEFORE)
    due = Pact.objects.filter(
        status__in=[PactStatus.ACTIVE, PactStatus.IN_REVIEW],
        next_review_on__isnull=False,
        next_review_on__lte=horizon,
    ).count()
    if due != Pact.objects.count():
        return False
    total = Pact.objects.count()
    step = max(1, total // sample)
    for pact in Pact.objects.filter(pk__in=range(1, total + 1, step)).select_related("case"):
        assert pact.next_review_on is not None
        kind = ReminderKind.OVERDUE if pact.next_review_on < today else ReminderKind.DUE_SOON
        expected = {
            f"pact:{pact.pk}:review:{pact.next_review_on.isoformat()}:{kind}:user:{user_id}"
            for user_id in reminder_recipients(pact)
        }
        if not expected or expected != set(
            Reminder.objects.filter(pact=pact).values_list("key", flat=True)
        ):
            return False
    return True


# --- Broker --------------------------------------------------------------------------------


def _redis() -> Any:
    import redis

    return redis.Redis.from_url(BROKER_URL)


def queue(task: Any, ids: list[int]) -> tuple[float, list[str]]:
    """One task per id through the real app (``OutboxTask.apply_async``), on one
    producer connection; seconds taken, and the task ids."""
    from legami.celery import app

    started = time.perf_counter()
    task_ids = []
    with app.producer_or_acquire() as producer:
        for pk in ids:
            sent = task.apply_async(args=[pk], producer=producer)
            task_ids.append(sent.id if sent is not None else "")
    return time.perf_counter() - started, task_ids


def _pending(r: Any) -> tuple[int, int]:
    """Messages waiting in the queue, messages taken and not acknowledged."""
    return int(r.llen("celery")), int(r.hlen("unacked"))


def _floor(r: Any, noops: int, total: int, deadline: float) -> dict[str, Any]:
    """No-op tasks per second: the queue holds ``noops`` no-op tasks ahead of the
    reminder tasks (``total`` in all); from the first taken to the last taken."""
    first: tuple[float, int] | None = None
    while True:
        waiting = _pending(r)[0]
        now = time.perf_counter()
        if first is None and waiting < total:
            first = (now, waiting)
        if waiting <= total - noops:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not take the no-op tasks")
        time.sleep(0.005)
    assert first is not None
    taken = first[1] - waiting
    seconds = now - first[0]
    return {"tasks": noops, "rate": taken / seconds if seconds else 0.0, "seconds": seconds}


# --- The run -------------------------------------------------------------------------------


def _sent_count() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pacts_reminder WHERE sent_at IS NOT NULL")
        return int(cur.fetchone()[0])


def _unacked_task_ids(r: Any) -> list[str]:
    ids = []
    for raw in r.hvals("unacked"):
        message = json.loads(raw)[0]
        ids.append(message["headers"]["id"])
    return ids


def dispatch(url: str, n: int, noops: int) -> dict[str, Any]:
    """Queue ``noops`` no-op tasks, then one reminder task per reminder; run a worker:
    it takes the no-op tasks first (the floor), then the reminders. Kill it at 40% of
    the reminders sent, restart it after the visibility timeout, wait until every
    reminder is sent."""
    from bench.tasks_noop import noop
    from pacts.models import Reminder
    from pacts.tasks import send_review_reminder

    r = _redis()
    ids = list(Reminder.objects.order_by("pk").values_list("pk", flat=True))
    out: dict[str, Any] = {"queue_noop_s": queue(noop, list(range(noops)))[0]}
    out["queue_s"], out["task_ids"] = queue(send_review_reminder, ids)
    assert _pending(r)[0] == n + noops, "the tasks were not all queued"

    started = time.time()
    first = _start_worker(url, "worker1")
    try:
        deadline = time.monotonic() + 300 + n / 5
        out["floor"] = _floor(r, noops, n + noops, deadline)
        while (sent := _sent_count()) < KILL_AT * n:
            if time.monotonic() > deadline or first.poll() is not None:
                raise RuntimeError(f"worker 1 stopped or stalled at {sent} sent")
            time.sleep(0.05)
        _kill_group(first)
    finally:
        if first.poll() is None or _group_alive(first.pid):
            _kill_group(first)
    killed = time.time()
    out["sent_at_kill"] = _sent_count()
    out["unacked_at_kill"] = _unacked_task_ids(r)
    out["waiting_at_kill"] = _pending(r)[0]
    out["worker1_alive_after_kill"] = _group_alive(first.pid)

    # A supervisor restarts it; its first sweep hands out again the tasks the dead worker
    # had taken once they are older than the visibility timeout.
    time.sleep(max(0.0, killed + VISIBILITY_TIMEOUT + 0.5 - time.time()))
    restarted = time.time()
    second = _start_worker(url, "worker2")
    try:
        last_change, last = time.monotonic(), -1
        while (sent := _sent_count()) < n:
            if sent != last:
                last_change, last = time.monotonic(), sent
            idle = time.monotonic() - last_change
            if idle > 120 or second.poll() is not None:
                break  # stalled: the checks say what is missing
            if idle > 10 and _pending(r) == (0, 0):
                break  # nothing left in the broker: what is missing will not come
            time.sleep(0.1)
        # What the broker lost for good (a task taken by BRPOP and not yet recorded as
        # unacked when the worker died) the hourly beat job sends again
        # (``pacts.resend_unsent_reminders``): run it as it would run half an hour later.
        from django.utils import timezone

        from pacts.services.follow import REMINDER_RESEND_AFTER, reminders_unsent

        resent = reminders_unsent(now=timezone.now() + REMINDER_RESEND_AFTER)
        out["resent_by_hourly_job"] = resent
        if resent:
            queue(send_review_reminder, resent)
            last_change, last = time.monotonic(), -1
            while (sent := _sent_count()) < n:
                if sent != last:
                    last_change, last = time.monotonic(), sent
                if time.monotonic() - last_change > 60 or second.poll() is not None:
                    break
                time.sleep(0.1)
        done = time.time()
        # The redelivered tasks whose reminder was already sent still run (and do nothing).
        drain_deadline = time.monotonic() + 30
        while _pending(r) != (0, 0) and time.monotonic() < drain_deadline:
            time.sleep(0.1)
        out["pending_at_end"] = _pending(r)
    finally:
        _stop_worker(second)
    out.update(started=started, killed=killed, restarted=restarted, done=done)
    return out


def count_mail() -> tuple[Counter[int], int, int]:
    """Messages in the mail directory per reminder id; messages naming no reminder; files."""
    from pacts.models import Reminder

    by_key = {
        (pact_id, address): pk
        for pk, pact_id, address in Reminder.objects.values_list(
            "pk", "pact_id", "recipient__email"
        )
    }
    counts: Counter[int] = Counter()
    unknown = 0
    files = 0
    for path in MAIL_DIR.iterdir():
        files += 1
        for chunk in path.read_bytes().split(SEPARATOR):
            if not chunk.strip():
                continue
            message = email.message_from_bytes(chunk)
            payload = message.get_payload(decode=True)
            body = (
                payload.decode(message.get_content_charset() or "utf-8")
                if isinstance(payload, bytes)
                else ""
            )
            found = re.search(r"bench-pact-(\d+)", body)
            pk = by_key.get((int(found.group(1)), str(message["To"]))) if found else None
            if pk is None:
                unknown += 1
            else:
                counts[pk] += 1
    return counts, unknown, files


def worker_logs() -> dict[str, Any]:
    """Task ids received by each worker (reminder tasks), and what the runs returned."""
    received: dict[str, list[str]] = {}
    returned: dict[str, Counter[str]] = {}
    for name in ("worker1", "worker2"):
        text = (VAR / f"reminders_{name}.log").read_bytes()
        received[name] = [
            m.group(2).decode()
            for m in RECEIVED.finditer(text)
            if m.group(1) == b"pacts.send_review_reminder"
        ]
        returned[name] = Counter(
            m.group(3).decode()
            for m in SUCCEEDED.finditer(text)
            if m.group(1) == b"pacts.send_review_reminder"
        )
    times = Counter(received["worker1"] + received["worker2"])
    return {
        "received": {k: len(v) for k, v in received.items()},
        "returned": {k: dict(v) for k, v in returned.items()},
        "received_twice": sorted(t for t, c in times.items() if c > 1),
        "worker2_ids": set(received["worker2"]),
        "all_ids": set(times),
    }


def _rates(killed: float) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT extract(epoch FROM sent_at) FROM pacts_reminder"
            " WHERE sent_at IS NOT NULL ORDER BY sent_at"
        )
        stamps = [float(row[0]) for row in cur.fetchall()]
    before = [t for t in stamps if t <= killed]
    steady = (len(before) - 1) / (before[-1] - before[0]) if len(before) > 1 else 0.0
    overall = len(stamps) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    after = [t for t in stamps if t > killed]
    return {
        "steady": steady,
        "overall": overall,
        "first_sent": stamps[0] if stamps else None,
        "last_sent": stamps[-1] if stamps else None,
        "first_sent_after_kill": after[0] if after else None,
        "gap_s": (after[0] - before[-1]) if after and before else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = common.arguments(__doc__)
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the mail directory"
    )
    args = parser.parse_args(argv)
    n = common.scaled(100_000, args.scale, minimum=10)
    n_noop = common.scaled(20_000, args.scale, minimum=500)

    shutil.rmtree(MAIL_DIR, ignore_errors=True)
    MAIL_DIR.mkdir(parents=True)
    url = common.fresh_database(DATABASE)
    try:
        common.setup_django(url, **_extra())
        _redis().flushdb()
        t0 = time.perf_counter()
        data = build(n)
        sample_ok = validate_sample()
        print(
            f"{n} reminders for {data['pacts']} pacts, {data['workers']} workers "
            f"in {data['build_s']:.1f} s (sample as the scan would make it: {sample_ok})",
            flush=True,
        )
        run = dispatch(url, n, n_noop)
        noop = run["floor"]
        print(f"floor: {n_noop} no-op tasks at {noop['rate']:.0f}/s", flush=True)
        print(
            f"queued {n} reminder tasks in {run['queue_s']:.1f} s; killed worker 1 at "
            f"{run['sent_at_kill']} sent ({len(run['unacked_at_kill'])} tasks unacked); "
            f"restarted {run['restarted'] - run['killed']:.1f} s later",
            flush=True,
        )

        from legami.models import OutboxMessage
        from pacts.models import Reminder

        sent = Reminder.objects.filter(sent_at__isnull=False).count()
        mails, unknown, files = count_mail()
        twice = sorted(pk for pk, c in mails.items() if c > 1)
        logs = worker_logs()
        redelivered = [t for t in run["unacked_at_kill"] if t in logs["worker2_ids"]]
        never_received = [t for t in run["task_ids"] if t not in logs["all_ids"]]
        unsent = list(
            Reminder.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)[:20]
        )
        rates = _rates(run["killed"])
        outbox = OutboxMessage.objects.count()
        total_s = time.perf_counter() - t0
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            common.drop_database(DATABASE)
            shutil.rmtree(MAIL_DIR, ignore_errors=True)

    checks = {
        f"every reminder sent: {sent} of {n} (none lost; {len(never_received)} tasks "
        f"never reached a worker, {len(run['resent_by_hourly_job'])} sent again by the hourly "
        "job)": sent == n,
        f"one mail per reminder: {sum(mails.values())} mails, {len(mails)} reminders, "
        f"{len(twice)} twice (none sent twice)": len(mails) == n and not twice and not unknown,
        f"worker killed mid-run (SIGKILL to its process group at {run['sent_at_kill']} sent)": (
            0 < run["sent_at_kill"] < n and not run["worker1_alive_after_kill"]
        ),
        f"the {len(run['unacked_at_kill'])} tasks the dead worker held were redelivered": (
            len(run["unacked_at_kill"]) > 0 and len(redelivered) == len(run["unacked_at_kill"])
        ),
        "queue drained, nothing left unacknowledged": run["pending_at_end"] == (0, 0),
        "nothing kept in the outbox": outbox == 0,
        "reminders as reminders_scan would make them (sample)": sample_ok,
    }
    res = common.result(
        NAME,
        title=f"Reminder dispatch, {n} due reminders, a worker killed at 40%",
        scale=args.scale,
        measured=("reminders sent, kill and recovery included", rates["overall"], "reminders/s"),
        floor=("no-op tasks, same broker and worker", noop["rate"], "tasks/s"),
        higher_is_better=True,
        checks=checks,
        details={
            "reminders": n,
            "pacts": data["pacts"],
            "social_workers": data["workers"],
            "build_s": round(data["build_s"], 2),
            "queue_reminders_s": round(run["queue_s"], 2),
            "queue_noop_s": round(run["queue_noop_s"], 2),
            "noop_tasks": n_noop,
            "noop_drain_s": round(noop["seconds"], 2),
            "steady_rate_before_kill": round(rates["steady"], 1),
            "steady_ratio": round(noop["rate"] / rates["steady"], 2) if rates["steady"] else None,
            "first_to_last_sent_s": round(rates["last_sent"] - rates["first_sent"], 1),
            "sent_at_kill": run["sent_at_kill"],
            "waiting_in_queue_at_kill": run["waiting_at_kill"],
            "unacked_at_kill": len(run["unacked_at_kill"]),
            "redelivered_to_worker2": len(redelivered),
            "received_twice": len(logs["received_twice"]),
            "tasks_never_received_by_a_worker": len(never_received),
            "resent_by_hourly_job": len(run["resent_by_hourly_job"]),
            "unsent_reminders": unsent,
            "worker_received": logs["received"],
            "worker_returned": logs["returned"],
            "visibility_timeout_s": VISIBILITY_TIMEOUT,
            "restart_after_kill_s": round(run["restarted"] - run["killed"], 1),
            "gap_last_before_kill_to_first_after_s": (
                round(rates["gap_s"], 1) if rates["gap_s"] is not None else None
            ),
            "mail_files": files,
            "mails": sum(mails.values()),
            "mails_naming_no_reminder": unknown,
            "reminders_mailed_twice": twice[:20],
            "pending_at_end": list(run["pending_at_end"]),
            "outbox": outbox,
            "total_s": round(total_s, 1),
            "worker": " ".join(WORKER[1:]),
            "load_average": os.getloadavg(),
        },
    )
    print(
        f"steady rate before the kill {rates['steady']:.1f}/s; overall {rates['overall']:.1f}/s; "
        f"{len(redelivered)} redelivered; {files} mail files; total {total_s:.0f} s"
    )
    return common.emit(res, args.json)


if __name__ == "__main__":
    sys.exit(main())
