"""Benchmark: the CSV export of 1,000,000 donations, streamed by the web process,
against PostgreSQL's ``COPY`` of the same query, and the peak memory of that process
(issue 11).

    .venv/bin/python -m bench.export_csv [--scale 1.0] [--json PATH] [--keep]

The export is the one a fundraiser really runs at that size: the desk's donations of
their organisation (``fundraising.views.manage_exports.export_donations``, ``?format=csv``:
``fundraising.exports.donation_rows`` read with ``.iterator(chunk_size=1000)`` — a
server-side cursor — and written by ``csv_lines`` into a ``StreamingHttpResponse``).

Data (own database ``legami_bench_export``, from the migrated template): two collecting
organisations (foundations with their fundraising profile), the fundraiser of the first
(a membership with the fundraiser role and an authenticator app, as the role requires),
campaigns through the ORM; then set-based in SQL (``generate_series``, every "random"
choice a hash of the row's number) the donors (persons and companies, some without a
name, a few whose name begins like a formula, companies whose name holds ``;`` and
``"``), ``1,000,000 × scale`` donations to the first organisation (every method and
status, 20% without a campaign, 5% without a donor, causali, provider references,
received and refunded dates) plus 5% as many to the second (which must not go out),
and receipts for a third of the received ones; then ``VACUUM ANALYZE``.

Measured:

* (a) floor: ``COPY (<the export's SELECT>) TO STDOUT WITH CSV`` (psycopg2
  ``copy_expert``) into a sink that counts bytes and lines; the SELECT is the export
  view's own queryset (``filtered_donations(user, {}, Action.EXPORT)`` through
  ``donations_for_export``) rendered with its parameters (``mogrify``);
* (b) the export over HTTP from gunicorn — the production command line (sync worker,
  ``RedactingLogger``) with ONE worker, so that the worker's peak memory is the web
  process's — read by the client in 1 MiB chunks into a counting sink (the body is
  never held). The client logs in with a session made in this process
  (``Client.force_login``: the session is stored in the database the worker reads)
  and sends ``X-Forwarded-Proto: https`` (DEBUG is off, HTTPS is required).

Rates in rows/s; ratio = (a)/(b) (``higher_is_better``). Memory: the worker's
``VmRSS`` after a warm-up export of a few rows (the baseline) and its ``VmHWM`` (peak
resident set) after the big export, from ``/proc/<worker>/status``.

Checks: exactly the expected number of data lines; a BOM and a header of 15 fields;
sampled lines (about 20 chunks spread over the body, whole lines only) parse as CSV
with ``;`` and 15 fields, a ``YYYY-MM-DD`` date and an amount with a decimal comma; the
worker's peak grew by less than ``MEMORY_BOUND_MB`` over its baseline (the CSV of 1M
rows is ~170 MB and its model instances several GB: an export that held its rows
would exceed it many times; a streamed one holds one chunk of 1,000 rows, a few MB);
and the worker survived. The worker is gunicorn as production runs it
(``legami/gunicorn_conf.py``: threaded, 30 s timeout) with one process: a thread may
stream for minutes, the worker's heartbeat goes on. (With the sync workers the
Dockerfile used before, a download longer than 30 s was killed and the file cut short
without a word: this benchmark found it, ``--worker-class sync`` shows it again.)
"""

from __future__ import annotations

import csv
import re
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench import common

NAME = "legami_bench_export"
ROWS = 1_000_000
MEMORY_BOUND_MB = 100.0
FIELDS = 15
SAMPLED_CHUNKS = 20
READ_SIZE = 1 << 20
SAMPLE_BYTES = 1 << 16
BOM = "\ufeff".encode()
EXPORT_PATH = "/fundraising/gestione/esportazioni/doni/"


# --- Data ---------------------------------------------------------------------------------

DONORS_SQL = """
INSERT INTO fundraising_donor (id, public_id, kind, first_name, last_name, company_name,
  codice_fiscale, partita_iva, email, phone, address, postcode, city, wall_name, created_at)
SELECT g, md5('donor' || g)::uuid,
  CASE WHEN g % 10 = 0 THEN 'company' ELSE 'person' END,
  CASE WHEN g % 10 = 0 OR g % 97 = 0 THEN ''
       ELSE (ARRAY['Maria','Giuseppe','Niccolò','Anna','Luca','Chiara','Gianluca'])[1 + g % 7] END,
  CASE WHEN g % 10 = 0 OR g % 97 = 0 THEN ''
       WHEN g % 499 = 0 THEN '=HYPERLINK("http://x";"y") ' || g
       WHEN g % 251 = 0 THEN '-' || g
       ELSE (ARRAY['Rossi','Bianchi','Ferrari','Colombo','Lodi','Fontà'])[1 + g % 6]
            || ' ' || g END,
  CASE WHEN g % 10 = 0 THEN 'Impresa "Po; Adda" S.r.l. ' || g ELSE '' END,
  CASE WHEN g % 10 <> 0 AND g % 5 < 3 THEN 'CF' || lpad(g::text, 14, '0') ELSE '' END,
  CASE WHEN g % 10 = 0 THEN lpad(g::text, 11, '0') ELSE '' END,
  'donatore' || g || '@example.org', '', 'Via Dante ' || g % 200, '26100', 'Cremona', '',
  now()
FROM generate_series(1, {donors}) g
"""

# Rows 1..{a} for organisation {org_a}, then {b} for {org_b}; h: a hash of g.
DONATIONS_SQL = """
INSERT INTO fundraising_donation (id, public_id, amount, date, method, status, anonymous,
  on_wall, causale, provider, provider_reference, period, received_at, refunded_at, note,
  created_at, campaign_id, created_by_id, organisation_id, donor_id, recurring_id)
SELECT g, md5('donation' || g)::uuid, amount, day, method, status, h % 10 = 0,
  h % 10 <> 0 AND h % 7 = 0,
  CASE WHEN method = 'bank_transfer' THEN 'LGM-' || g END,
  CASE WHEN method IN ('card', 'paypal') THEN method ELSE '' END,
  CASE WHEN method IN ('card', 'paypal') THEN 'pi_' || g END,
  '',
  CASE WHEN status IN ('received', 'refunded')
       THEN (day + 1)::timestamp AT TIME ZONE 'Europe/Rome' + (h % 86400) * interval '1 s' END,
  CASE WHEN status = 'refunded'
       THEN (day + 20)::timestamp AT TIME ZONE 'Europe/Rome' + (h % 3600) * interval '1 s' END,
  '', now(),
  CASE WHEN h % 5 = 0 THEN NULL ELSE camps[1 + (h / 7) % cardinality(camps)] END,
  NULL, org, CASE WHEN h % 20 = 1 THEN NULL ELSE 1 + (h / 11) % {donors} END, NULL
FROM (
  SELECT g, h, org, camps,
    ((h % 50000) + 100) / 100.0 AS amount,
    DATE '2021-01-01' + (h / 13 % 2150)::int AS day,
    (ARRAY['bank_transfer','card','paypal','cash','cheque'])[1 + (h / 17) % 5] AS method,
    CASE WHEN (h / 19) % 20 < 2 THEN 'pledged' WHEN (h / 19) % 20 = 2 THEN 'refunded'
         WHEN (h / 19) % 20 = 3 THEN 'cancelled' ELSE 'received' END AS status
  FROM (
    SELECT g, abs(hashint8extended(g, 11)) AS h,
      CASE WHEN g <= {a} THEN {org_a} ELSE {org_b} END AS org,
      CASE WHEN g <= {a} THEN {camps_a}::bigint[] ELSE {camps_b}::bigint[] END AS camps
    FROM generate_series(1, {a} + {b}) g
  ) x
) y
"""

RECEIPTS_SQL = """
INSERT INTO fundraising_receipt (year, number, issued_at, tax_benefit, pdf, snapshot, status,
  cancel_reason, donation_id, organisation_id)
SELECT extract(year FROM d.received_at AT TIME ZONE 'Europe/Rome')::int,
  row_number() OVER (PARTITION BY d.organisation_id,
                     extract(year FROM d.received_at AT TIME ZONE 'Europe/Rome') ORDER BY d.id),
  d.received_at, d.method <> 'cash', '', '{}'::jsonb, 'issued', '', d.id, d.organisation_id
FROM fundraising_donation d
WHERE d.status = 'received' AND d.id % 3 = 0
"""


def make_data(rows: int) -> dict[str, Any]:
    """The organisations, the fundraiser, the campaigns (ORM), the donors, donations and
    receipts (SQL); ``VACUUM ANALYZE``. Django must be set up."""
    import datetime as dt
    from decimal import Decimal

    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.db import connection, transaction

    from fundraising.models import Campaign, CampaignStatus, FundraisingProfile
    from legami.models import User
    from legami.roles import Role
    from partners.models import Organisation, OrganisationKind
    from partners.services.memberships import membership_insert

    started = time.perf_counter()
    with transaction.atomic():
        orgs = []
        for slug, name in [
            ("fondazione-po", "Fondazione Comunità del Po"),
            ("fondazione-adda", "Fondazione dell'Adda"),
        ]:
            org = Organisation.objects.create(
                name=name, slug=slug, kind=OrganisationKind.FONDAZIONE
            )
            FundraisingProfile.objects.create(
                organisation=org,
                legal_name=f"{name} ETS",
                fiscal_code="93012345678",
                address="Via del Giordano 2, 26100 Cremona (CR)",
                iban="IT60X0542811101000000123456",
                third_sector_body=True,
                runts_number="RUNTS-12345",
                receipt_signatory="Il Presidente",
            )
            orgs.append(org)
        user = User.objects.create_user(
            "raccolta@fondazione-po.example.org", first_name="Giulia", last_name="Raccolta"
        )
        membership_insert(
            user=user,
            organisation=orgs[0],
            role=Role.FUNDRAISER,
            start_date=dt.date(2024, 1, 1),
            end_date=None,
            is_referent=False,
            actor=None,
        )
        TOTP.activate(user, generate_totp_secret())
        camps: list[list[int]] = [[], []]
        for i in range(14):
            org_index = 0 if i < 12 else 1
            camp = Campaign.objects.create(
                slug=f"campagna-{i}",
                organisation=orgs[org_index],
                title=f"Campagna {i}: «Più vicini»; anziani soli" if i % 3 else f"Inverno {i}",
                summary="Un aiuto per le famiglie sole.",
                story="La storia della campagna. " * 40,
                goal=Decimal("10000.00"),
                starts_on=dt.date(2021, 1, 1),
                ends_on=dt.date(2026, 12, 31),
                status=CampaignStatus.PUBLISHED,
                created_by=user,
            )
            camps[org_index].append(camp.pk)
    donors = max(50, rows // 8)
    other = max(1, rows // 20)
    with transaction.atomic(), connection.cursor() as cur:
        # Integers only, formatted in: no parameters, so "%" stays the modulo.
        cur.execute(DONORS_SQL.format(donors=donors))
        cur.execute(
            DONATIONS_SQL.format(
                a=rows,
                b=other,
                org_a=orgs[0].pk,
                org_b=orgs[1].pk,
                camps_a=f"ARRAY{sorted(camps[0])!r}",
                camps_b=f"ARRAY{sorted(camps[1])!r}",
                donors=donors,
            )
        )
        cur.execute(RECEIPTS_SQL)
        cur.execute("SELECT count(*) FROM fundraising_receipt")
        receipts = cur.fetchone()[0]
        for table in ("fundraising_donor", "fundraising_donation"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
    import psycopg2

    conn = psycopg2.connect(common.database_url(NAME))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    conn.close()
    return {
        "user": user,
        "organisation": orgs[0],
        "donors": donors,
        "other_donations": other,
        "receipts": receipts,
        "generation_s": round(time.perf_counter() - started, 2),
    }


# --- Measuring ----------------------------------------------------------------------------


class CountingSink:
    """A file-like sink that only counts bytes and lines."""

    def __init__(self) -> None:
        self.bytes = 0
        self.lines = 0

    def write(self, data: bytes | str) -> int:
        raw = data.encode() if isinstance(data, str) else data
        self.bytes += len(raw)
        self.lines += raw.count(b"\n")
        return len(raw)


def export_sql(user: Any) -> str:
    """The SELECT the donations export runs for ``user`` (no filter), parameters inlined."""
    from django.db import connection

    from fundraising import exports
    from fundraising.views.manage_exports import filtered_donations
    from legami.policy import Action

    qs = exports.donations_for_export(filtered_donations(user, {}, Action.EXPORT))
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        return str(cur.cursor.mogrify(sql, params).decode())


def copy_floor(sql: str, repeat: int) -> tuple[float, list[float], CountingSink]:
    """Median seconds of ``COPY (sql) TO STDOUT WITH CSV`` into a counting sink."""
    import psycopg2

    conn = psycopg2.connect(common.database_url(NAME))
    sink = CountingSink()
    try:

        def once() -> None:
            nonlocal sink
            sink = CountingSink()
            with conn.cursor() as cur:
                cur.copy_expert(f"COPY ({sql}) TO STDOUT WITH CSV", sink)
            conn.rollback()

        once()  # warm-up (cache)
        median, times = common.median_time(once, repeat)
    finally:
        conn.close()
    return median, times, sink


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM… of ``pid`` in kB (0 when the process is gone: killed by gunicorn's
    timeout, say)."""
    values = {"VmRSS": 0, "VmHWM": 0}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return values
    for line in text.splitlines():
        if line.startswith("Vm"):
            key, value = line.split(":", 1)
            values[key] = int(value.split()[0])
    return values


def worker_pid(master: int, timeout: float = 30) -> int:
    """The pid of the one worker of the gunicorn master ``master``."""
    deadline = time.monotonic() + timeout
    while True:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        for child in children:
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except FileNotFoundError:
                continue
            if "\nState:\tZ" not in status:
                return int(child)
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn started no worker")
        time.sleep(0.1)


class Download:
    """What the client saw of one export: status, timings, counts, sampled pieces."""

    def __init__(self) -> None:
        self.status = 0
        self.content_type = ""
        self.bytes = 0
        self.lines = 0
        self.first = b""
        self.samples: list[bytes] = []
        self.ttfb_s = 0.0
        self.total_s = 0.0


def download(port: int, session: str, query: str, expected_lines: int = 0) -> Download:
    """GET the donations export and read the body in 1 MiB blocks into counters: lines
    and bytes. Kept: the first ``SAMPLE_BYTES`` and, every ``expected_lines /
    SAMPLED_CHUNKS`` lines, the next ``SAMPLE_BYTES`` (never the whole body).

    HTTP/1.0 on a plain socket, as a reverse proxy such as nginx speaks to its upstream
    by default: the body comes without chunked framing and ends when the connection
    closes, so the client does nothing per row but count its newline."""
    from django.conf import settings

    result = Download()
    request = (
        f"GET {EXPORT_PATH}?{query} HTTP/1.0\r\n"
        "Host: localhost\r\n"
        "X-Forwarded-Proto: https\r\n"
        "Accept-Language: it\r\n"
        f"Cookie: {settings.SESSION_COOKIE_NAME}={session}\r\n\r\n"
    ).encode()
    every = max(1, expected_lines // SAMPLED_CHUNKS) if expected_lines else 0
    next_sample = every
    sample = bytearray()
    sampling = False
    head = bytearray()
    buffer = bytearray(READ_SIZE)
    view = memoryview(buffer)
    with socket.create_connection(("127.0.0.1", port), timeout=3600) as sock:
        started = time.perf_counter()
        sock.sendall(request)
        in_body = False
        while True:
            size = sock.recv_into(buffer)
            if not size:
                break
            piece = bytes(view[:size])
            if not in_body:
                head += piece
                split = head.find(b"\r\n\r\n")
                if split < 0:
                    continue
                in_body = True
                result.ttfb_s = time.perf_counter() - started
                lines = bytes(head[:split]).decode("latin-1").split("\r\n")
                result.status = int(lines[0].split()[1])
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-type":
                        result.content_type = value.strip()
                piece = bytes(head[split + 4 :])
            if len(result.first) < SAMPLE_BYTES:
                result.first += piece[: SAMPLE_BYTES - len(result.first)]
            if sampling:
                sample += piece
                if len(sample) >= SAMPLE_BYTES:
                    result.samples.append(bytes(sample))
                    sample.clear()
                    sampling = False
            result.bytes += len(piece)
            result.lines += piece.count(b"\n")
            if every and result.lines >= next_sample and not sampling:
                sampling = True
                next_sample += every
        result.total_s = time.perf_counter() - started
    if sample:
        result.samples.append(bytes(sample))
    return result


def whole_lines(chunk: bytes, first: bool) -> list[str]:
    """The complete lines of ``chunk`` (a piece of the body cut anywhere)."""
    if not first:
        start = chunk.find(b"\n")
        chunk = chunk[start + 1 :] if start >= 0 else b""
    end = chunk.rfind(b"\n")
    return chunk[: end + 1].decode("utf-8").splitlines() if end >= 0 else []


def check_sample(big: Download) -> tuple[bool, bool, int]:
    """(BOM and a 15-field header, sampled data lines valid, how many were parsed)."""
    first = whole_lines(big.first, first=True)
    header_ok = big.first.startswith(BOM) and bool(first)
    if header_ok:
        header = next(csv.reader([first[0].lstrip("\ufeff")], delimiter=";"))
        header_ok = len(header) == FIELDS
    lines = first[1:]
    for chunk in big.samples:
        lines.extend(whole_lines(chunk, first=False))
    date = re.compile(r"\d{4}-\d{2}-\d{2}")
    amount = re.compile(r"\d+,\d{2}")
    valid = bool(lines)
    for row in csv.reader(lines, delimiter=";", strict=True):
        if len(row) != FIELDS or not date.fullmatch(row[0]) or not amount.fullmatch(row[7]):
            valid = False
            print(f"  invalid line: {row!r}", file=sys.stderr)
            break
    return header_ok, valid, len(lines)


def main(argv: list[str] | None = None) -> int:
    parser = common.arguments(__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--repeat", type=int, default=3, help="timed COPY runs (median)")
    parser.add_argument(
        "--gunicorn-timeout",
        type=int,
        default=30,
        help="gunicorn's --timeout (default 30, as legami/gunicorn_conf.py)",
    )
    parser.add_argument(
        "--worker-class",
        default="gthread",
        help="gunicorn's worker class (default gthread, as legami/gunicorn_conf.py)",
    )
    args = parser.parse_args(argv)
    rows = common.scaled(ROWS, args.scale, minimum=100)

    url = common.fresh_database(NAME)
    try:
        common.setup_django(url)
        from django.test import Client

        data = make_data(rows)
        print(
            f"generated {rows} donations to export (+{data['other_donations']} of another "
            f"organisation), {data['donors']} donors, {data['receipts']} receipts "
            f"in {data['generation_s']} s"
        )
        sql = export_sql(data["user"])
        copy_s, copy_times, copy_sink = copy_floor(sql, args.repeat)
        print(f"(a) COPY: {copy_sink.lines} rows, {copy_sink.bytes / 1e6:.1f} MB in {copy_s:.2f} s")

        client = Client()
        client.force_login(data["user"])
        from django.conf import settings

        session = client.cookies[settings.SESSION_COOKIE_NAME].value

        port = common.free_port()
        log = common.ROOT / "var" / "bench" / "export_csv_gunicorn.log"
        command = common.gunicorn_command(
            port,
            "--workers",
            "1",
            "--worker-class",
            args.worker_class,
            "--timeout",
            str(args.gunicorn_timeout),
        )
        with common.process(command, common.django_env(url), log) as proc:
            common.wait_http(f"http://127.0.0.1:{port}/health/")
            worker = worker_pid(proc.pid)
            # Warm-up: the same export narrowed to one day (a few rows).
            small = download(port, session, "format=csv&since=2022-03-01&until=2022-03-01")
            small = download(port, session, "format=csv&since=2022-03-01&until=2022-03-01")
            if small.status != 200:
                raise RuntimeError(f"the warm-up export answered {small.status}: see {log}")
            before = proc_status(worker)
            big = download(port, session, "format=csv", expected_lines=rows)
            after = proc_status(worker)
            # A worker killed by the timeout is still exiting when the body ends.
            time.sleep(1.0)
            worker_alive = proc.poll() is None and worker_pid(proc.pid) == worker
        data_lines = big.lines - 1
        header_ok, sample_ok, sampled = check_sample(big)
        growth_mb = (after["VmHWM"] - before["VmRSS"]) / 1024
        copy_rate = copy_sink.lines / copy_s
        http_rate = data_lines / big.total_s if big.total_s else 0.0
        print(
            f"(b) HTTP: {data_lines} rows, {big.bytes / 1e6:.1f} MB in {big.total_s:.2f} s "
            f"(first byte after {big.ttfb_s:.2f} s); worker RSS {before['VmRSS'] / 1024:.0f} MB "
            f"after the warm-up, peak {after['VmHWM'] / 1024:.0f} MB after the export"
        )
        res = common.result(
            "export_csv",
            title="CSV export of the donations, streamed",
            scale=args.scale,
            measured=("HTTP export", http_rate, "rows/s"),
            floor=("COPY of the same query", copy_rate, "rows/s"),
            higher_is_better=True,
            checks={
                "HTTP 200, text/csv": big.status == 200 and big.content_type.startswith("text/csv"),
                f"exactly {rows} data lines (COPY: {copy_sink.lines})": data_lines
                == rows
                == copy_sink.lines,
                "BOM and a header of 15 fields": header_ok,
                f"{sampled} sampled lines are valid CSV (';', 15 fields)": sample_ok,
                f"worker peak < baseline + {MEMORY_BOUND_MB:g} MB": (
                    worker_alive and growth_mb < MEMORY_BOUND_MB
                ),
                "the worker survived the export": worker_alive,
            },
            details={
                "rows": rows,
                "other_organisation_rows": data["other_donations"],
                "donors": data["donors"],
                "receipts": data["receipts"],
                "generation_s": data["generation_s"],
                "copy_s": round(copy_s, 3),
                "copy_times_s": [round(t, 3) for t in copy_times],
                "copy_bytes": copy_sink.bytes,
                "http_s": round(big.total_s, 3),
                "http_first_byte_s": round(big.ttfb_s, 3),
                "http_bytes": big.bytes,
                "http_mb_per_s": round(big.bytes / 1e6 / big.total_s, 2) if big.total_s else 0,
                "copy_mb_per_s": round(copy_sink.bytes / 1e6 / copy_s, 2),
                "worker_rss_baseline_mb": round(before["VmRSS"] / 1024, 1),
                "worker_hwm_before_mb": round(before["VmHWM"] / 1024, 1),
                "worker_hwm_after_mb": round(after["VmHWM"] / 1024, 1),
                "worker_rss_after_mb": round(after["VmRSS"] / 1024, 1),
                "worker_peak_growth_mb": round(growth_mb, 1),
                "gunicorn_timeout_s": args.gunicorn_timeout,
                "gunicorn_worker_class": args.worker_class,
                "sampled_lines": sampled,
                "copy_median_spread": round(statistics.pstdev(copy_times), 3),
            },
        )
    finally:
        if not args.keep:
            common.drop_database(NAME)
    return common.emit(res, args.json)


if __name__ == "__main__":
    sys.exit(main())
