"""Benchmark: a sign-up rush over HTTP against gunicorn (issue 11). 500 citizens sign up
at the same moment for a meeting with 50 seats: exactly 50 must get a seat, 450 the
waiting list, nobody a 5xx; measured in sign-ups per second, against the requests per
second of the health endpoint under the same load.

    .venv/bin/python -m bench.signup_rush [--scale 1.0] [--json PATH] [--keep]
                                          [--workers 3] [--threads 1]

Scale: ``scaled(50, scale, minimum=5)`` seats and ten times as many people (scale 0.02:
5 seats, 50 people).

Set up in this process, through the project's services: the territory
(``territory_load_default``), a facilitator (``role_grant_from_console``), an active lab
(``lab_create``) and a meeting a week ahead with the seats (``meeting_create``). The
citizens are accounts with no usable password and a verified address, each logged in
with ``django.contrib.auth.login`` (a session in the session store, the login recorded as
on the site): the client gets their session cookie, not their password — logging in is
not what is measured.

Why citizens with accounts and not guests: a guest's sign-up only holds a place
(``unconfirmed``) until the address is confirmed by the link in the mail; the seat and
the waiting list are decided for a citizen at once. Guests are also limited to 5 sign-ups
per client address per hour (``GUEST_SIGNUPS_PER_IP_HOUR`` in ``labs/views/public.py``,
a constant, not a setting): 500 guests from 127.0.0.1 would be refused after the fifth.
Nothing limits a logged-in citizen's sign-ups, so no setting is changed here.

gunicorn runs as production runs it — ``legami/gunicorn_conf.py`` (the Dockerfile's
and docker-compose's: 3 threaded workers × 4 threads, the access log and its logger) and
the production settings (``DEBUG=false``: secure cookies, HTTPS redirect, HSTS, manifest
static files) — plus
``--preload`` (the application imported once before the workers fork: a boot of seconds
on a busy machine; requests are handled the same). ``--workers``/``--threads`` change the
workers (``--threads 1``: sync workers). The static files are collected once
into ``var/bench/static`` (``STATIC_ROOT``, ``common.collectstatic``): the pages need the
manifest.
The client is this process: one thread and one connection per person (``http.client``),
``X-Forwarded-Proto: https`` as from the proxy (``SECURE_PROXY_SSL_HEADER``), cookies
and CSRF token handled as a browser would.

Phases, each with every person at once (a barrier), timed from the first request sent
to the last answer read:

* (a) floor: ``GET /health/`` with each person's session cookie — the health endpoint
  (database ``SELECT 1``, a cache write/read/delete, a broker connection) through the
  whole middleware: what any answer of this server costs. Run before and after the
  rush; the floor is the mean of the two;
* GET of the meeting page (the sign-up form: the CSRF cookie and token) — in details;
* (b) the rush: the POST of the sign-up button; each answer must be a redirect to the
  meeting page;
* the redirects followed (the page with the message: a seat and its code, or the
  waiting list) — what each person was told.

Then from the database: the count per status, duplicates, the seats counted on the
meeting, what each person was told against their registration, and the mails queued in
Redis (``REDIS_URL``, bench-only DB 14, flushed at the start, and at the end unless
``--keep``): one per sign-up, of the right kind. No Celery worker runs: the tasks pile
up in Redis, so the sign-ups pay for queueing their mail (as in production) but not for
sending it.

The database is ``legami_bench_rush``, dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import base64
import html
import importlib
import json
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http import client as http_client
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from bench import common

DB_NAME = "legami_bench_rush"
SEATS = 50
PEOPLE_PER_SEAT = 10
LOG = common.ROOT / "var" / "bench" / "signup_rush-gunicorn.log"
EMAIL_DOMAIN = "rush.bench.invalid"
FACILITATOR = f"facilitatore@{EMAIL_DOMAIN}"
LAB_SLUG = "bench-signup-rush"
PRETIX_PER_MINUTE = (300, 400)
TIMEOUT_S = 180
TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- Set-up (Django in this process) -------------------------------------------------------


def _setup(seats: int, people: int) -> tuple[str, list[tuple[int, str, str]]]:
    """The lab, its meeting with ``seats`` seats and ``people`` logged-in citizens: the
    meeting's path and (user id, e-mail, session key) of each citizen."""
    import datetime as dt

    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import login
    from django.db import connections, transaction
    from django.http import HttpRequest
    from django.utils import timezone

    from labs.models import LabContext, LabStatus
    from labs.services import meetings as meeting_services
    from legami.models import Ambito, User
    from legami.roles import Role
    from legami.services.territory import territory_load_default
    from partners.models import OrganisationKind
    from partners.services.bootstrap import role_grant_from_console

    territory_load_default()
    grant = role_grant_from_console(
        email=FACILITATOR,
        role=Role.FACILITATOR,
        organisation_slug="bench-rush-aps",
        create_organisation_name="Bench rush APS",
        kind=OrganisationKind.ASSOCIAZIONE,
    )
    facilitator = grant.membership.user
    ambito = Ambito.objects.get(code="cremona")
    lab = meeting_services.lab_create(
        actor=facilitator,
        title="Laboratorio della corsa alle iscrizioni",
        slug=LAB_SLUG,
        context=LabContext.TOWN,
        ambito=ambito,
        comuni=list(ambito.comuni.filter(name="Cremona")),
        facilitators=[facilitator],
        status=LabStatus.ACTIVE,
    )
    starts = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=7)
    meeting = meeting_services.meeting_create(
        lab=lab,
        actor=facilitator,
        title="Incontro aperto a tutti",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        place="Sala civica",
        address="Via del Sale 60, Cremona",
        capacity=seats,
        agenda="Cinquecento persone per cinquanta posti.",
    )

    # The citizens: accounts with a verified address and no usable password (as
    # role_grant_from_console makes them), in bulk.
    users = []
    for index in range(people):
        user = User(
            email=f"cittadino{index:04d}@{EMAIL_DOMAIN}",
            first_name=f"Persona{index:04d}",
            last_name="Bench",
        )
        user.set_unusable_password()
        users.append(user)
    with transaction.atomic():
        users = User.objects.bulk_create(users)
        EmailAddress.objects.bulk_create(
            EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
        )
    # Each logs in as on the site (django.contrib.auth.login: the session, the login
    # recorded by legami.signals), from the address of the client.
    backend = settings.AUTHENTICATION_BACKENDS[0]
    engine = importlib.import_module(settings.SESSION_ENGINE)
    citizens = []
    for user in users:
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        request.session = engine.SessionStore()
        login(request, user, backend=backend)
        request.session.save()
        citizens.append((user.pk, user.email, str(request.session.session_key)))
    path = meeting.get_absolute_url()
    connections.close_all()
    return path, citizens


def _expected_messages() -> tuple[re.Pattern[str], str]:
    """What the page tells a person with a seat (the code in group 1), and one on the
    waiting list, in the site's language."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        seat = translation.gettext("You have a seat. Your code at the door is %(code)s.")
        waiting = translation.gettext(
            "The meeting is full: you are on the waiting list. If a seat frees up, it is "
            "yours and we will write to you."
        )
    before, after = seat.split("%(code)s")
    return re.compile(re.escape(before) + r"([A-Z0-9]{6})" + re.escape(after)), waiting


# --- The client -----------------------------------------------------------------------------


@dataclass
class Answer:
    status: int = 0
    location: str = ""
    body: str = ""
    started: float = 0.0
    ended: float = 0.0
    error: str = ""


@dataclass
class Person:
    user_id: int
    email: str
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""
    told: str = ""  # confirmed / waiting / "" (not understood)
    code: str = ""


class Client:
    """HTTP/1.1 to gunicorn as the proxy would pass a browser's requests (one connection
    per request: sync workers close it anyway)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"

    def request(
        self,
        method: str,
        path: str,
        cookies: dict[str, str],
        form: dict[str, str] | None = None,
    ) -> Answer:
        headers = {
            "X-Forwarded-Proto": "https",
            "User-Agent": "legami-bench-signup-rush",
            "Accept": "text/html",
        }
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        answer = Answer(started=time.perf_counter())
        conn = http_client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_S)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            answer.ended = time.perf_counter()
            answer.status = response.status
            answer.location = response.getheader("Location", "")
            answer.body = data.decode("utf-8", "replace")
            for raw in response.msg.get_all("Set-Cookie") or []:
                jar: SimpleCookie = SimpleCookie()
                jar.load(raw)
                for name, morsel in jar.items():
                    if morsel["max-age"] == "0":
                        cookies.pop(name, None)
                    else:
                        cookies[name] = morsel.coded_value
        except (OSError, http_client.HTTPException) as exc:
            answer.ended = time.perf_counter()
            answer.error = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
        return answer


@dataclass
class Rush:
    """One phase: every request at once; the time from the first sent to the last read."""

    answers: list[Answer]
    wall_s: float

    @property
    def rate(self) -> float:
        return len(self.answers) / self.wall_s if self.wall_s else 0.0

    def statuses(self) -> Counter[str]:
        return Counter(a.error.split(":")[0] if a.error else str(a.status) for a in self.answers)

    def server_errors(self) -> int:
        return sum(1 for a in self.answers if a.status >= 500)

    def latencies_ms(self) -> dict[str, float]:
        times = sorted((a.ended - a.started) * 1000 for a in self.answers)
        if not times:
            return {}

        def pick(q: float) -> float:
            return round(times[min(len(times) - 1, int(q * len(times)))], 1)

        return {"p50": pick(0.5), "p95": pick(0.95), "max": round(times[-1], 1)}


def rush(people: Sequence[Person], one: Callable[[Person], Answer]) -> Rush:
    """``one(person)`` for every person at the same moment, one thread each."""
    answers: list[Answer] = [Answer() for _ in people]
    barrier = threading.Barrier(len(people) + 1)

    def run(index: int, person: Person) -> None:
        barrier.wait()
        started = time.perf_counter()
        try:
            answers[index] = one(person)
        except Exception as exc:  # noqa: BLE001 - reported as a failed answer
            ended = time.perf_counter()
            answers[index] = Answer(started=started, ended=ended, error=repr(exc))

    threads = [threading.Thread(target=run, args=(i, p), daemon=True) for i, p in enumerate(people)]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    wall = max(a.ended for a in answers) - min(a.started for a in answers)
    return Rush(answers, wall)


def _wait_ready(client: Client, timeout: float = 90) -> None:
    """Until the health endpoint answers 200 (a worker's first request loads the URLs and
    views: seconds on a busy machine, longer than ``common.wait_http``'s 2 s a try)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = client.request("GET", "/health/", {})
        if answer.status == 200:
            return
        if time.monotonic() > deadline:
            raise SystemExit(
                f"gunicorn not ready after {timeout:.0f} s: {answer.error or answer.status}"
            )
        time.sleep(0.2)


# --- The queued mails -------------------------------------------------------------------------


def _queued_mails(redis: Any) -> Counter[tuple[str, int, str]]:
    """(task, registration id, kind) of every task message waiting in the broker."""
    found: Counter[tuple[str, int, str]] = Counter()
    for key in redis.scan_iter("celery*"):
        if redis.type(key) != b"list":
            continue
        for raw in redis.lrange(key, 0, -1):
            message = json.loads(raw)
            args = json.loads(base64.b64decode(message["body"]))[0]
            found[(message["headers"]["task"], int(args[0]), str(args[1]))] += 1
    return found


# --- The benchmark ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = common.arguments(__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    # The defaults are legami/gunicorn_conf.py's (production).
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per worker (>1: gthread; 1: sync)"
    )
    args = parser.parse_args(argv)
    seats = common.scaled(SEATS, args.scale, minimum=5)
    n_people = seats * PEOPLE_PER_SEAT
    started = time.perf_counter()

    import redis as redis_lib

    redis = redis_lib.Redis.from_url(common.REDIS_URL)
    redis.flushdb()
    url = common.fresh_database(DB_NAME)
    database_s = time.perf_counter() - started
    env_extra: dict[str, str] = {}
    try:
        common.setup_django(url, **env_extra)
        # Before gunicorn starts: WhiteNoise reads STATIC_ROOT when the workers load.
        collect_s = common.collectstatic()
        port = common.free_port()
        worker_class = "gthread" if args.threads > 1 else "sync"
        gunicorn = common.gunicorn_command(
            port,
            "--workers",
            str(args.workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(args.threads),
            "--backlog",
            "2048",
            "--preload",
        )
        boot = time.perf_counter()
        with common.process(gunicorn, common.django_env(url, **env_extra), LOG) as server:
            # The data are made while gunicorn boots (it reads nothing at start).
            t = time.perf_counter()
            meeting_path, citizens = _setup(seats, n_people)
            setup_s = time.perf_counter() - t
            seat_re, waiting_text = _expected_messages()
            from django.conf import settings

            people = [
                Person(user_id=uid, email=email, cookies={settings.SESSION_COOKIE_NAME: key})
                for uid, email, key in citizens
            ]
            client = Client(port)
            _wait_ready(client)
            boot_s = time.perf_counter() - boot

            def health(person: Person) -> Answer:
                return client.request("GET", "/health/", dict(person.cookies))

            def form(person: Person) -> Answer:
                answer = client.request("GET", meeting_path, person.cookies)
                found = TOKEN_RE.search(answer.body)
                person.token = found.group(1) if found else ""
                return answer

            def sign_up(person: Person) -> Answer:
                return client.request(
                    "POST", meeting_path, person.cookies, {"csrfmiddlewaretoken": person.token}
                )

            def follow(person: Person) -> Answer:
                answer = client.request("GET", meeting_path, person.cookies)
                text = html.unescape(answer.body)
                found = seat_re.search(text)
                if found:
                    person.told, person.code = "confirmed", found.group(1)
                elif waiting_text in text:
                    person.told = "waiting"
                return answer

            # Warm-up: every worker has imported, compiled and connected.
            t = time.perf_counter()
            warm = people[: min(len(people), 4 * args.workers * args.threads)]
            for _ in range(2):
                rush(warm, health)
                rush(warm, lambda p: client.request("GET", meeting_path, dict(p.cookies)))

            warm_s = time.perf_counter() - t
            t = time.perf_counter()
            floor_before = rush(people, health)
            forms = rush(people, form)
            posts = rush(people, sign_up)
            follows = rush(people, follow)
            floor_after = rush(people, health)
            phases_s = time.perf_counter() - t
            if server.poll() is not None:
                raise SystemExit(f"gunicorn stopped (status {server.returncode}): see {LOG}")
            stopping = time.perf_counter()
        stop_s = time.perf_counter() - stopping

        # --- Checks from the database -------------------------------------------------------
        from django.db.models import Count

        from labs.models import Meeting, Registration

        meeting = Meeting.objects.get(lab__slug=LAB_SLUG)
        registrations = list(
            Registration.objects.filter(meeting=meeting).values(
                "id", "user_id", "email", "status", "code"
            )
        )
        by_status = Counter(r["status"] for r in registrations)
        by_user = {r["user_id"]: r for r in registrations}
        duplicates = (
            Registration.objects.filter(meeting=meeting)
            .values("user_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )
        told = Counter(p.told for p in people)
        told_matches = sum(
            1
            for p in people
            if p.user_id in by_user
            and p.told == by_user[p.user_id]["status"]
            and (p.told != "confirmed" or p.code == by_user[p.user_id]["code"])
        )
        mails = _queued_mails(redis)
        expected_mails = Counter(
            ("labs.send_registration_mail", r["id"], r["status"]) for r in registrations
        )
        confirmed_codes = [r["code"] for r in registrations if r["status"] == "confirmed"]
    finally:
        if not args.keep:
            common.drop_database(DB_NAME)
            redis.flushdb()

    waiting = n_people - seats
    floor_rate = (floor_before.rate + floor_after.rate) / 2
    per_minute = posts.rate * 60
    all_phases = {
        "health_before": floor_before,
        "form_get": forms,
        "signup_post": posts,
        "redirect_followed": follows,
        "health_after": floor_after,
    }
    checks = {
        "no 5xx (every phase)": all(r.server_errors() == 0 for r in all_phases.values()),
        "no connection error": all(not a.error for r in all_phases.values() for a in r.answers),
        "every health answer 200": all(
            a.status == 200 for r in (floor_before, floor_after) for a in r.answers
        ),
        "every form page 200 with a CSRF token": all(a.status == 200 for a in forms.answers)
        and all(p.token for p in people),
        "every sign-up answered by a redirect to the meeting": all(
            a.status == 302 and a.location.endswith(meeting_path) for a in posts.answers
        ),
        f"the pages told {seats} a seat and {waiting} the waiting list": told
        == Counter({"confirmed": seats, "waiting": waiting}),
        f"exactly {seats} confirmed in the database": by_status.get("confirmed", 0) == seats,
        f"exactly {waiting} waiting in the database": by_status.get("waiting", 0) == waiting,
        f"{n_people} registrations, no other status": len(registrations) == n_people
        and set(by_status) <= {"confirmed", "waiting"},
        "no duplicate (person or address)": duplicates == 0
        and len({r["email"] for r in registrations}) == len(registrations),
        "each person was told their status (and seat code) in the database": told_matches
        == n_people,
        f"the meeting counts {seats} seats taken": meeting.seats_taken == seats,
        "seat codes distinct": len(set(confirmed_codes)) == len(confirmed_codes),
        "one mail queued per sign-up, of its kind": mails == expected_mails,
    }
    details: dict[str, Any] = {
        "seats": seats,
        "people": n_people,
        "endpoint": f"POST {meeting_path.replace(str(meeting.pk), '<pk>')} (citizen, logged in)",
        "floor_endpoint": "GET /health/ (session cookie sent; DB, cache and broker probes)",
        "gunicorn": f"{args.workers} {worker_class} workers × {args.threads} thread(s), "
        "--preload, access log on, legami.gunicorn_logging.RedactingLogger",
        "client": f"{n_people} threads, one http.client connection per request, "
        "all released by one barrier",
        "signups_per_s": round(posts.rate, 1),
        "signups_per_minute": round(per_minute),
        "pretix_documented_per_minute": list(PRETIX_PER_MINUTE),
        "times_pretix_ceiling": round(per_minute / PRETIX_PER_MINUTE[1], 1),
        "signup_wall_s": round(posts.wall_s, 3),
        "signup_latency_ms": posts.latencies_ms(),
        "health_per_s_before": round(floor_before.rate, 1),
        "health_per_s_after": round(floor_after.rate, 1),
        "form_get_per_s": round(forms.rate, 1),
        "redirect_followed_per_s": round(follows.rate, 1),
        "statuses": {name: dict(r.statuses()) for name, r in all_phases.items()},
        "db_by_status": dict(by_status),
        "told": dict(told),
        "mails_queued": sum(mails.values()),
        "fresh_database_s": round(database_s, 2),
        "collectstatic_s": round(collect_s, 2),
        "setup_s": round(setup_s, 2),
        "gunicorn_ready_s": round(boot_s, 2),
        "warm_up_s": round(warm_s, 2),
        "phases_s": round(phases_s, 2),
        "gunicorn_stop_s": round(stop_s, 2),
        "total_s": round(time.perf_counter() - started, 1),
        "gunicorn_log": str(LOG.relative_to(common.ROOT)),
    }
    errors = [a.error for r in all_phases.values() for a in r.answers if a.error]
    if errors:
        details["first_errors"] = errors[:5]
    bad_posts = [a for a in posts.answers if a.status != 302]
    if bad_posts:
        details["first_bad_post"] = f"{bad_posts[0].status}: {bad_posts[0].body[:300]}"
    print(
        f"{n_people} people for {seats} seats; gunicorn {details['gunicorn']}\n"
        f"health (floor): {floor_before.rate:.0f} / {floor_after.rate:.0f} req/s; "
        f"form GET {forms.rate:.0f} req/s; sign-ups {posts.rate:.0f}/s = "
        f"{per_minute:,.0f}/min ({details['times_pretix_ceiling']}× pretix's 400/min) "
        f"in {posts.wall_s:.2f} s, latency {details['signup_latency_ms']}\n"
        f"database: {dict(by_status)}; told: {dict(told)}; mails queued: {sum(mails.values())}"
    )
    res = common.result(
        "signup_rush",
        title=f"Sign-up rush: {n_people} people, {seats} seats, over HTTP (gunicorn)",
        scale=args.scale,
        measured=("sign-ups", posts.rate, "/s"),
        floor=("health endpoint, same load", floor_rate, "req/s"),
        higher_is_better=True,
        checks=checks,
        details=details,
    )
    return common.emit(res, args.json)


if __name__ == "__main__":
    sys.exit(main())
