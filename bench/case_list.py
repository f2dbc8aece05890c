"""Benchmark: the case list (``/cases/``, 50 rows a page) as a coordinator sees it,
against a bare view through the same middleware, on the province dataset; and the
page's query count at 1× and 10× the rows.

    .venv/bin/python -m bench.case_list [--scale 1.0] [--repeat 30] [--json PATH]

The dataset is ``bench/report_data.py``'s (100,000 people at scale 1, with their cases
in the three ambiti). A coordinator of an organisation serving the ambito of Cremona
(every case of the ambito is in their scope: ~48,000 people at scale 1) gets one current
worker assignment on every open case of the ambito (the page shows them), made once.

Measured in this process, with Django's test client (the whole WSGI handler and
middleware stack, no network), alternating, after a warm-up of each:

* (a) the floor: ``/bench/bare/`` (``bench/urls.py``), a view that only needs a logged-in
  user and answers "ok" — what every page pays (session, authentication, MFA check,
  CSP, locale) before doing anything;
* (b) the first page of the case list, unfiltered: the policy's scope, the count, 50
  people with their areas, their visible open cases and current workers, the latest
  LSNS-6 flag, and the access-log rows of the 50 people listed.

Then the rows are multiplied by 10 inside a transaction that is rolled back (9 copies of
every person of the ambito with their cases and assignments): the page must run the same
number of queries and still show 50 rows.
"""

from __future__ import annotations

import re
import sys
import time
from typing import Any

from bench import common, report_data

ROWS = 50
REPORT_AMBITO = "cremona"
COORDINATOR = "bench-coordinator@example.org"
CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b", re.I)
ROW_RE = re.compile(r'<th scope="row"><a href="/[^"]*cases/p/')


def _coordinator() -> Any:
    """The coordinator of an organisation serving the ambito, with an authenticator app
    (the role needs one), and one current assignment on every open case of the ambito
    (made once)."""
    import datetime as dt

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth import get_user_model
    from django.db import connection

    from legami.models import Ambito
    from legami.roles import Role
    from partners.models import Membership, Organisation, OrganisationKind

    ambito = Ambito.objects.get(code=REPORT_AMBITO)
    org, _ = Organisation.objects.get_or_create(
        slug="bench-coordination",
        defaults={"name": "Bench coordination", "kind": OrganisationKind.CONSORZIO},
    )
    org.ambiti.add(ambito)
    user, created = get_user_model().objects.get_or_create(
        email=COORDINATOR, defaults={"first_name": "Bench", "last_name": "Coordinator"}
    )
    if created:
        Membership.objects.create(
            user=user, organisation=org, role=Role.COORDINATOR, start_date=dt.date(2024, 1, 1)
        )
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM beneficiaries_caseassignment)")
        if not cur.fetchone()[0]:
            # Workers are the generated users (the same 50 as the pacts' case workers).
            cur.execute(
                """
                INSERT INTO beneficiaries_caseassignment
                  (kind, start, "end", assigned_by_id, case_id, worker_id)
                SELECT 'lead', c.opened_on, NULL, NULL, c.id,
                       (SELECT min(id) FROM legami_user WHERE email LIKE 'bench-user-%')
                         + c.id % 50
                FROM beneficiaries_case c WHERE c.stage <> 'closed'
                """
            )
            cur.execute("ANALYZE beneficiaries_caseassignment")
    return user, ambito


def _multiply(ambito_id: int, copies: int) -> int:
    """``copies`` more of every person with a case in the ambito, with their cases and
    assignments (new ids, public ids and codici fiscali); the people now in scope."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT max(id) FROM beneficiaries_person")
        person_step = int(cur.fetchone()[0]) + 1
        cur.execute("SELECT max(id) FROM beneficiaries_case")
        case_step = int(cur.fetchone()[0]) + 1
        cur.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'beneficiaries_person' AND column_name NOT IN "
            "('id', 'public_id', 'codice_fiscale') ORDER BY ordinal_position"
        )
        columns = ", ".join(f'"{name}"' for (name,) in cur.fetchall())
        cur.execute(
            "CREATE TEMP TABLE _scope AS SELECT DISTINCT person_id AS id "
            "FROM beneficiaries_case WHERE ambito_id = %s",
            [ambito_id],
        )
        cur.execute(
            f"""
            INSERT INTO beneficiaries_person (id, public_id, codice_fiscale, {columns})
            SELECT p.id + k * %(ps)s, md5('copy' || k || ':' || p.id)::uuid,
                   CASE WHEN p.codice_fiscale = '' THEN ''
                        ELSE 'CP' || k || lpad(p.id::text, 13, '0') END,
                   {", ".join("p." + c for c in columns.split(", "))}
            FROM beneficiaries_person p JOIN _scope s ON s.id = p.id
            CROSS JOIN generate_series(1, %(n)s) k
            """,  # noqa: S608
            {"ps": person_step, "n": copies},
        )
        cur.execute(
            """
            INSERT INTO beneficiaries_case
              (id, opened_on, stage, closed_on, closure_reason, ambito_id, organisation_id,
               intake_id, person_id)
            SELECT c.id + k * %(cs)s, c.opened_on, c.stage, c.closed_on, c.closure_reason,
                   c.ambito_id, c.organisation_id, NULL, c.person_id + k * %(ps)s
            FROM beneficiaries_case c JOIN _scope s ON s.id = c.person_id
            CROSS JOIN generate_series(1, %(n)s) k
            """,
            {"cs": case_step, "ps": person_step, "n": copies},
        )
        cur.execute(
            """
            INSERT INTO beneficiaries_caseassignment
              (kind, start, "end", assigned_by_id, case_id, worker_id)
            SELECT a.kind, a.start, a."end", a.assigned_by_id, a.case_id + k * %(cs)s,
                   a.worker_id
            FROM beneficiaries_caseassignment a
            JOIN beneficiaries_case c ON c.id = a.case_id
            JOIN _scope s ON s.id = c.person_id
            CROSS JOIN generate_series(1, %(n)s) k
            """,
            {"cs": case_step, "n": copies},
        )
        cur.execute("ANALYZE beneficiaries_person")
        cur.execute("ANALYZE beneficiaries_case")
        cur.execute("ANALYZE beneficiaries_caseassignment")
        cur.execute(
            "SELECT count(DISTINCT person_id) FROM beneficiaries_case WHERE ambito_id = %s",
            [ambito_id],
        )
        return int(cur.fetchone()[0])


class _Rollback(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = common.arguments(__doc__)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests of each")
    args = parser.parse_args(argv)
    report_data.ensure(common.province_url(args.scale), scale=args.scale)

    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import clear_url_caches, reverse, set_urlconf

    common.collectstatic()
    settings.ROOT_URLCONF = "bench.urls"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    clear_url_caches()
    set_urlconf(None)

    user, ambito = _coordinator()
    client = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_ACCEPT_LANGUAGE="it")
    client.force_login(user)
    page_url = reverse("beneficiaries:person_list")
    bare_url = reverse("bench_bare")

    def get(url: str) -> str:
        response = client.get(url, secure=True)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        return response.content.decode()

    def measured() -> tuple[int, int]:
        """(queries, rows shown) of one request of the page."""
        with CaptureQueriesContext(connection) as queries:
            html = get(page_url)
        # Transaction control is not a query of the page (inside the 10× transaction
        # BEGIN/COMMIT become savepoints).
        statements = [q["sql"] for q in queries.captured_queries if not CONTROL.match(q["sql"])]
        return len(statements), len(ROW_RE.findall(html))

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(DISTINCT person_id) FROM beneficiaries_case WHERE ambito_id = %s",
            [ambito.pk],
        )
        people_1x = int(cur.fetchone()[0])
    get(page_url), get(bare_url)  # warm-up
    queries_1x, rows_1x = measured()
    page_times: list[float] = []
    bare_times: list[float] = []
    for _ in range(args.repeat):
        for url, times in ((bare_url, bare_times), (page_url, page_times)):
            started = time.perf_counter()
            get(url)
            times.append(time.perf_counter() - started)
    page = sorted(page_times)[len(page_times) // 2]
    bare = sorted(bare_times)[len(bare_times) // 2]

    # 10× the rows, rolled back afterwards.
    started = time.perf_counter()
    try:
        with transaction.atomic():
            people_10x = _multiply(ambito.pk, 9)
            copy_s = time.perf_counter() - started
            get(page_url)  # warm-up on the new data
            queries_10x, rows_10x = measured()
            times_10x = []
            for _ in range(max(3, args.repeat // 5)):
                t = time.perf_counter()
                get(page_url)
                times_10x.append(time.perf_counter() - t)
            page_10x = sorted(times_10x)[len(times_10x) // 2]
            raise _Rollback
    except _Rollback:
        pass
    # ANALYZE inside the rolled-back transaction left the tables' row estimates of the
    # 10× data in pg_class (updated in place): measure them again.
    with connection.cursor() as cur:
        for table in ("beneficiaries_person", "beneficiaries_case", "beneficiaries_caseassignment"):
            cur.execute(f"ANALYZE {table}")

    print(
        f"coordinator of {ambito.name}: {people_1x:,} people in scope "
        f"({people_10x:,} at 10×, copied in {copy_s:.1f} s and rolled back)"
    )
    print(f"page: {rows_1x} rows, {queries_1x} queries; at 10×: {rows_10x} rows, {queries_10x}")
    print(
        f"(a) bare view median {bare * 1000:.1f} ms, (b) case list median {page * 1000:.1f} ms, "
        f"at 10× {page_10x * 1000:.1f} ms"
    )
    res = common.result(
        "case_list",
        title="Case list, 50 rows, coordinator",
        scale=args.scale,
        measured=("case list page (median)", page * 1000, "ms"),
        floor=("bare view, same middleware (median)", bare * 1000, "ms"),
        checks={
            f"the page shows {ROWS} rows": rows_1x == min(ROWS, people_1x),
            f"the page shows {ROWS} rows at 10×": rows_10x == min(ROWS, people_10x),
            "the same number of queries at 1× and 10× the rows": queries_1x == queries_10x,
        },
        details={
            "people_in_scope": people_1x,
            "people_in_scope_10x": people_10x,
            "queries_1x": queries_1x,
            "queries_10x": queries_10x,
            "page_ms_10x": page_10x * 1000,
            "ratio_10x": page_10x / bare,
            "repeat": args.repeat,
        },
    )
    return common.emit(res, args.json)


if __name__ == "__main__":
    sys.exit(main())
