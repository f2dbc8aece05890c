"""Benchmark: the full piano di zona report of one ambito and year against one
hand-written SQL query that computes the same figures (issue 10's speed requirement:
the report may take at most 1.5 times that query, measured side by side).

    .venv/bin/python -m bench.reports [--regenerate] [--ambito cremona] [--year 2026] [--repeat 7]

The dataset (``bench/report_data.py``, ≥ 1,000,000 events over the province) is made
in the database ``legami_bench`` on first use. Measured, alternating, after one warm-up
of each:

* (a) the floor: ONE SQL statement (CTEs) that computes every figure of every
  indicator of the report — headlines and breakdowns — for the ambito and year (the
  percentages are then taken from its counts in Python with ``reports``' own ``share``,
  so that they round alike);
* (b) ``reports.selectors.report(Scope(ambito), parse_period(year))``, all areas.

The figures must agree (every mismatch is printed, exit status 1: this validates both),
and the ratio of the medians (b)/(a) must be at most 1.5 (else exit status 2, and the
time of each indicator on its own is printed, with its number of queries).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path
from typing import Any

from bench import common, report_data

LIMIT = 1.5
CENT = Decimal("0.01")

Figures = dict[tuple[str, ...], Any]

# One statement. Parameters: %(a)s ambito id, %(s)s / %(e)s first and last day.
# Boundaries in local time (Europe/Rome, the project's TIME_ZONE) as the indicators.
FLOOR_SQL = """
WITH
b AS (
  SELECT %(s)s::date AS s, %(e)s::date AS e,
         (%(s)s::date)::timestamp AT TIME ZONE 'Europe/Rome' AS s_ts,
         (%(e)s::date + 1)::timestamp AT TIME ZONE 'Europe/Rome' AS after_ts,
         (now() AT TIME ZONE 'Europe/Rome')::date AS today
),
-- People: those with a case of the ambito open on a day of the period; continuing
-- when one of those was opened before the period.
pc AS (
  SELECT c.person_id, bool_or(c.opened_on < b.s) AS cont
  FROM beneficiaries_case c, b
  WHERE c.ambito_id = %(a)s AND c.opened_on <= b.e AND (c.closed_on IS NULL OR c.closed_on >= b.s)
  GROUP BY c.person_id
),
pp AS (
  SELECT p.id, pc.cont, p.sex,
         CASE WHEN p.birth_date IS NULL THEN 'unknown'
              WHEN p.birth_date > (b.e - interval '18 years')::date THEN '0-17'
              WHEN p.birth_date > (b.e - interval '35 years')::date THEN '18-34'
              WHEN p.birth_date > (b.e - interval '65 years')::date THEN '35-64'
              WHEN p.birth_date > (b.e - interval '75 years')::date THEN '65-74'
              ELSE '75+' END AS age
  FROM pc JOIN beneficiaries_person p ON p.id = pc.person_id, b
),
pa AS (
  SELECT coalesce(a.area, 'unknown') AS area, count(*) AS n,
         count(*) FILTER (WHERE NOT pp.cont) AS n_new
  FROM pp LEFT JOIN beneficiaries_personarea a ON a.person_id = pp.id
  GROUP BY 1
),
people AS (
  SELECT json_build_object(
    'total', count(*), 'new', count(*) FILTER (WHERE NOT cont),
    'continuing', count(*) FILTER (WHERE cont),
    'age', (SELECT json_object_agg(age, n || ',' || n_new) FROM (
              SELECT age, count(*) n, count(*) FILTER (WHERE NOT cont) n_new FROM pp GROUP BY age
            ) x),
    'sex', (SELECT json_object_agg(sex, n || ',' || n_new) FROM (
              SELECT sex, count(*) n, count(*) FILTER (WHERE NOT cont) n_new FROM pp GROUP BY sex
            ) x),
    'area', (SELECT json_object_agg(area, n || ',' || n_new) FROM pa)
  ) AS j FROM pp
),
intakes AS (
  SELECT json_object_agg(channel, n) AS j FROM (
    SELECT i.channel, count(*) AS n FROM beneficiaries_intake i, b
    WHERE i.ambito_id = %(a)s AND i.date BETWEEN b.s AND b.e GROUP BY i.channel
  ) x
),
-- Pacts of the ambito's cases; the last signature's local day; whether any is missing.
pact AS (
  SELECT p.id, p.status, p.start_date, p.ended_on
  FROM pacts_pact p JOIN beneficiaries_case c ON c.id = p.case_id
  WHERE c.ambito_id = %(a)s
),
sig AS (
  SELECT s.pact_id, bool_or(s.signed_at IS NULL) AS unsigned,
         (max(s.signed_at) AT TIME ZONE 'Europe/Rome')::date AS signed_on
  FROM pacts_signatory s JOIN pact ON pact.id = s.pact_id GROUP BY s.pact_id
),
pact2 AS (
  SELECT pact.*, sig.signed_on,
         pact.status NOT IN ('draft', 'proposed') AND NOT coalesce(sig.unsigned, false)
           AND sig.signed_on IS NOT NULL AS past
  FROM pact LEFT JOIN sig ON sig.pact_id = pact.id
),
pacts AS (
  SELECT json_build_object(
    'signed', count(*) FILTER (WHERE past AND signed_on BETWEEN b.s AND b.e),
    'active', count(*) FILTER (
       WHERE (status IN ('active', 'in_review', 'completed')
              OR (status = 'interrupted' AND past AND start_date <= ended_on))
         AND start_date <= b.e AND (ended_on IS NULL OR ended_on >= b.s)),
    'completed', count(*) FILTER (WHERE status = 'completed' AND ended_on BETWEEN b.s AND b.e),
    'interrupted', count(*) FILTER (
       WHERE status = 'interrupted' AND ended_on BETWEEN b.s AND b.e)
  ) AS j FROM pact2, b
),
-- Each goal's outcome at its latest review of the period.
goal_last AS (
  SELECT DISTINCT ON (o.goal_id) o.goal_id, o.outcome
  FROM pacts_reviewgoaloutcome o
  JOIN pacts_review r ON r.id = o.review_id
  JOIN pacts_goal g ON g.id = o.goal_id
  JOIN pact ON pact.id = g.pact_id, b
  WHERE r.date BETWEEN b.s AND b.e
  ORDER BY o.goal_id, r.date DESC, r.id DESC
),
goals AS (
  SELECT json_build_object(
    'assessed', count(*),
    'achieved', count(*) FILTER (WHERE outcome = 'achieved'),
    'partly', count(*) FILTER (WHERE outcome = 'partly'),
    'not_achieved', count(*) FILTER (WHERE outcome = 'not_achieved')
  ) AS j FROM goal_last
),
hours AS (
  SELECT json_object_agg(kind, h) AS j FROM (
    SELECT coalesce(cm.kind, 'unknown') AS kind, sum(t.hours)::text AS h
    FROM pacts_ledgertransaction t
    JOIN pact ON pact.id = t.pact_id
    JOIN pacts_ledgeraccount ga ON ga.id = t.giver_id AND ga.person_id IS NOT NULL
    JOIN pacts_ledgeraccount ra ON ra.id = t.receiver_id AND ra.organisation_id IS NOT NULL
    LEFT JOIN pacts_commitment cm ON cm.id = t.commitment_id, b
    WHERE t.date BETWEEN b.s AND b.e AND t.reverses_id IS NULL
      AND NOT EXISTS (SELECT 1 FROM pacts_ledgertransaction x WHERE x.reverses_id = t.id)
    GROUP BY 1
  ) x
),
-- Isolation: people of the ambito assessed (LSNS-6) in the period; their first total
-- ever and their latest up to the period's end.
lsns AS (
  SELECT a.person_id,
         (array_agg(a.total ORDER BY a.date, a.id))[1] AS first,
         (array_agg(a.total ORDER BY a.date DESC, a.id DESC))[1] AS latest,
         bool_or(a.date >= b.s) AS in_period
  FROM beneficiaries_assessment a, b
  WHERE a.kind = 'lsns6' AND a.date <= b.e
    AND EXISTS (SELECT 1 FROM beneficiaries_case c
                WHERE c.person_id = a.person_id AND c.ambito_id = %(a)s)
  GROUP BY a.person_id
),
isolation AS (
  SELECT json_build_object(
    'assessed', count(*), 'start', count(*) FILTER (WHERE first < 12),
    'latest', count(*) FILTER (WHERE latest < 12),
    'improved', count(*) FILTER (WHERE latest > first)
  ) AS j FROM lsns WHERE in_period
),
placements AS (
  SELECT json_object_agg(outcome, n) AS j FROM (
    SELECT pl.outcome, count(*) AS n FROM pacts_placement pl JOIN pact ON pact.id = pl.pact_id, b
    WHERE pl.start_date BETWEEN b.s AND b.e GROUP BY pl.outcome
  ) x
),
-- Labs (community labs: not the practitioners' workshops).
lab AS (
  SELECT id FROM labs_lab WHERE ambito_id = %(a)s AND context <> 'practitioners'
),
held AS (
  SELECT m.id, m.status FROM labs_meeting m JOIN lab ON lab.id = m.lab_id, b
  WHERE m.status <> 'cancelled' AND m.starts_at >= b.s_ts AND m.starts_at < b.after_ts
    AND m.ends_at <= now()
),
need AS (
  SELECT n.status FROM labs_need n JOIN lab ON lab.id = n.lab_id, b
  WHERE n.created_at >= b.s_ts AND n.created_at < b.after_ts AND n.status <> 'merged'
),
labs AS (
  SELECT json_build_object(
    'meetings', (SELECT count(*) FROM held),
    'closed', (SELECT count(*) FROM held WHERE status = 'closed'),
    'scheduled', (SELECT count(*) FROM held WHERE status = 'scheduled'),
    'participants', (SELECT count(DISTINCT r.email) FROM labs_registration r
                     JOIN held ON held.id = r.meeting_id WHERE r.attended),
    'raised', (SELECT count(*) FROM need),
    'addressed', (SELECT count(*) FROM need WHERE status = 'addressed'),
    'interventions', (SELECT count(*) FROM labs_intervention i JOIN lab ON lab.id = i.lab_id
                      WHERE i.start_date BETWEEN b.s AND b.e
                        AND i.status IN ('running', 'done'))
  ) AS j FROM b
),
-- Civic Center: accepted members of confirmed agreements, over the days of the period
-- that both the demand and the agreement cover.
served AS (
  SELECT m.units_per_week * round(((least(d.end_date, ag.end_date, b.e)
           - greatest(d.start_date, ag.start_date, b.s)) + 1) / 7.0, 2) AS units,
         cat.unit, ag.single_family_price - ag.unit_price AS diff,
         CASE WHEN d.family_id IS NOT NULL THEN 'u' || d.family_id
              WHEN d.contact_email <> '' THEN 'e' || lower(d.contact_email)
              ELSE 'd' || d.id END AS family
  FROM civic_center_agreementmember m
  JOIN civic_center_agreement ag ON ag.id = m.agreement_id
  JOIN civic_center_demand d ON d.id = m.demand_id
  JOIN legami_comune co ON co.id = d.comune_id
  JOIN civic_center_offer o ON o.id = ag.offer_id
  JOIN civic_center_servicecategory cat ON cat.id = o.category_id, b
  WHERE m.status = 'accepted' AND ag.status = 'confirmed' AND co.ambito_id = %(a)s
    AND least(d.end_date, ag.end_date, b.e) >= greatest(d.start_date, ag.start_date, b.s)
),
civic AS (
  SELECT json_build_object(
    'families', count(DISTINCT family),
    'hours', round(coalesce(sum(units) FILTER (WHERE unit = 'hour'), 0), 2)::text,
    'saving', round(coalesce(sum(diff * units), 0), 2)::text
  ) AS j FROM served
),
-- Fundraising: campaigns of the ambito (their own, or their intervention's lab's).
camp AS (
  SELECT c.id, c.goal, c.ends_on
  FROM fundraising_campaign c
  LEFT JOIN labs_intervention i ON i.id = c.intervention_id
  LEFT JOIN labs_lab l ON l.id = i.lab_id
  WHERE coalesce(c.ambito_id, l.ambito_id) = %(a)s
),
gift AS (
  SELECT d.campaign_id, d.amount, d.donor_id, d.date
  FROM fundraising_donation d JOIN camp ON camp.id = d.campaign_id, b
  WHERE d.status = 'received' AND d.date <= b.e
),
-- Matched funds due by the end of the period less those due by the day before it:
-- each pledge matches min(cap, ratio × received gifts), due when unconditional, or
-- when the gifts reached the goal by its passed deadline, or reach it now if not passed.
moment AS (
  SELECT 1 AS sign, b.e AS day, least(b.e + 1, b.today) AS today FROM b
  UNION ALL SELECT -1, b.s - 1, least(b.s, b.today) FROM b
),
raised_by AS (
  SELECT camp.id, camp.goal, camp.ends_on, m.sign, m.today,
         round(greatest(coalesce(sum(g.amount), 0), 0), 2) AS raised
  FROM camp CROSS JOIN moment m
  LEFT JOIN gift g ON g.campaign_id = camp.id AND g.date <= m.day
  WHERE EXISTS (SELECT 1 FROM fundraising_matchingpledge p WHERE p.campaign_id = camp.id)
  GROUP BY camp.id, camp.goal, camp.ends_on, m.sign, m.today
),
pledge AS (
  SELECT r.sign,
         CASE WHEN r.raised <= 0 THEN 0 ELSE round(least(p.cap, p.ratio * r.raised), 2) END
           AS matched,
         CASE WHEN NOT p.only_if_target_reached THEN true
              WHEN coalesce(p.deadline, r.ends_on) < r.today
              THEN (SELECT coalesce(sum(g.amount), 0) FROM gift g
                    WHERE g.campaign_id = r.id AND g.date <= coalesce(p.deadline, r.ends_on))
                   >= r.goal
              ELSE r.raised >= r.goal END AS due
  FROM raised_by r JOIN fundraising_matchingpledge p ON p.campaign_id = r.id
),
fundraising AS (
  SELECT json_build_object(
    'raised', (SELECT coalesce(sum(amount), 0)::text FROM gift, b WHERE date >= b.s),
    'donors', (SELECT count(DISTINCT donor_id) + count(*) FILTER (WHERE donor_id IS NULL)
               FROM gift, b WHERE date >= b.s),
    'matched', (SELECT coalesce(sum(sign * matched) FILTER (WHERE due), 0)::text FROM pledge)
  ) AS j
),
research AS (
  SELECT json_build_object(
    'pathways', (SELECT count(*) FROM research_pathway p
                 WHERE p.ambito_id = %(a)s AND p.starts_on <= b.e
                   AND (p.ends_on IS NULL OR p.ends_on >= b.s)),
    'surveys', (SELECT count(*) FROM research_survey s
                JOIN research_pathway p ON p.id = s.pathway_id
                WHERE p.ambito_id = %(a)s AND s.opens_at < b.after_ts AND s.status <> 'draft'
                  AND (s.closed_at IS NULL OR s.closed_at > b.s_ts)
                  AND (s.closes_at IS NULL OR s.closes_at > b.s_ts)),
    'responses', (SELECT count(*) FROM research_invitation i
                  JOIN research_survey s ON s.id = i.survey_id
                  JOIN research_pathway p ON p.id = s.pathway_id
                  WHERE p.ambito_id = %(a)s AND i.answered AND i.answered_on BETWEEN b.s AND b.e)
  ) AS j FROM b
)
SELECT people.j, intakes.j, pacts.j, goals.j, hours.j, isolation.j, placements.j,
       labs.j, civic.j, fundraising.j, research.j
FROM people, intakes, pacts, goals, hours, isolation, placements, labs, civic, fundraising,
     research
"""

AREAS = (
    "famiglia_minori",
    "disabili",
    "anziani",
    "poverta",
    "immigrati",
    "dipendenze",
    "multiutenza",
    "unknown",
)
AGES = ("0-17", "18-34", "35-64", "65-74", "75+", "unknown")
CHANNELS = ("self", "family", "community_lab", "partner", "school", "health", "other")
COMMUNITY = ("community_lab", "partner")


def _cents(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT, ROUND_HALF_UP)


def floor(ambito_id: int, start: dt.date, end: dt.date) -> Figures:
    """The report's figures from one SQL statement (shares taken from its counts)."""
    from django.db import connection

    from reports.indicators import share

    with connection.cursor() as cur:
        cur.execute(FLOOR_SQL, {"a": ambito_id, "s": start, "e": end})
        row = cur.fetchone()
    people, intakes, pacts, goals, hours, iso, placements, labs, civic, fund, research = (
        x or {} for x in row
    )
    f: Figures = {}

    def split(bucket: dict[str, str], key: str, index: int) -> int:
        return int(bucket[key].split(",")[index]) if key in bucket else 0

    sexes = {("unknown" if k == "" else k): v for k, v in (people.get("sex") or {}).items()}
    for code, i in (("people_in_charge", 0), ("people_new", 1)):
        f[(code,)] = people.get("total" if i == 0 else "new", 0)
        for key in AREAS:
            f[(code, "area", key)] = split(people.get("area") or {}, key, i)
        for key in AGES:
            f[(code, "age_band", key)] = split(people.get("age") or {}, key, i)
        for key in ("F", "M", "unknown"):
            f[(code, "sex", key)] = split(sexes, key, i)
    f[("people_in_charge", "status", "new")] = people.get("new", 0)
    f[("people_in_charge", "status", "continuing")] = people.get("continuing", 0)

    total = sum(intakes.values())
    f[("intakes_by_channel",)] = total
    for key in CHANNELS:
        f[("intakes_by_channel", "channel", key)] = intakes.get(key, 0)
    f[("intakes_community_share",)] = share(sum(intakes.get(k, 0) for k in COMMUNITY), total)
    if total:
        for key in COMMUNITY:
            f[("intakes_community_share", "channel", key)] = share(intakes.get(key, 0), total)

    f[("pacts_by_status",)] = pacts["signed"]
    for key in ("signed", "active", "completed", "interrupted"):
        f[("pacts_by_status", "status", key)] = pacts[key]
    f[("pact_goals_achieved",)] = goals["achieved"]
    for key in ("achieved", "partly", "not_achieved"):
        f[("pact_goals_achieved", "outcome", key)] = goals[key]
    f[("pact_goals_achieved_share",)] = share(goals["achieved"], goals["assessed"])
    f[("hours_given_back",)] = _cents(sum((Decimal(v) for v in hours.values()), Decimal(0)))
    for key, value in hours.items():
        f[("hours_given_back", "kind", key)] = Decimal(value)

    f[("isolation_assessed",)] = iso["assessed"]
    latest = share(iso["latest"], iso["assessed"])
    f[("isolation_at_risk",)] = latest
    if latest is not None:
        f[("isolation_at_risk", "moment", "start")] = share(iso["start"], iso["assessed"])
        f[("isolation_at_risk", "moment", "latest")] = latest
    f[("isolation_improved",)] = iso["improved"]
    f[("placements_started",)] = sum(placements.values())
    for key in ("ongoing", "hired", "extended", "ended"):
        f[("placements_started", "outcome", key)] = placements.get(key, 0)

    f[("lab_meetings",)] = labs.get("meetings", 0)
    f[("lab_meetings", "minutes", "closed")] = labs.get("closed", 0)
    f[("lab_meetings", "minutes", "scheduled")] = labs.get("scheduled", 0)
    f[("lab_participants",)] = labs.get("participants", 0)
    f[("lab_needs",)] = labs.get("raised", 0)
    f[("lab_needs", "status", "raised")] = labs.get("raised", 0)
    f[("lab_needs", "status", "addressed")] = labs.get("addressed", 0)
    f[("lab_interventions_started",)] = labs.get("interventions", 0)

    f[("civic_families_served",)] = civic["families"]
    f[("civic_hours_purchased",)] = _cents(civic["hours"])
    f[("civic_families_saving",)] = _cents(civic["saving"])
    f[("civic_provider_hours",)] = _cents(civic["hours"])
    f[("fundraising_raised",)] = _cents(fund["raised"])
    f[("fundraising_donors",)] = fund["donors"]
    f[("fundraising_matched",)] = _cents(fund["matched"])
    f[("research_pathways",)] = research["pathways"]
    f[("research_surveys",)] = research["surveys"]
    f[("research_responses",)] = research["responses"]
    return f


def flatten(grouped: list[tuple[str, list[tuple[Any, Any]]]]) -> Figures:
    """The figures of ``reports.selectors.report``'s result, keyed as ``floor``'s."""
    f: Figures = {}
    for _area, items in grouped:
        for indicator, result in items:
            f[(indicator.code,)] = result.value
            for breakdown in result.breakdowns:
                for key, value in breakdown.values.items():
                    f[(indicator.code, breakdown.dimension, key)] = value
    return f


def compare(expected: Figures, got: Figures) -> list[str]:
    problems = []
    for key in sorted(set(expected) | set(got), key=str):
        a, b = expected.get(key, "—"), got.get(key, "—")
        if a != b:
            problems.append(f"{'/'.join(key)}: report {a!r}, SQL {b!r}")
    return problems


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def per_indicator(scope: Any, period: Any, repeat: int) -> None:
    """The time of each indicator alone (median of ``repeat``) and its queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.indicators import INDICATORS

    rows = []
    for code, item in INDICATORS.items():
        with CaptureQueriesContext(connection) as queries:
            item.compute(scope, period)
        times = [timed(partial(item.compute, scope, period)) for _ in range(repeat)]
        rows.append((statistics.median(times), code, len(queries)))
    total = sum(t for t, _c, _q in rows)
    print(f"\nper indicator (median of {repeat}, alone):")
    print(f"  {'indicator':<28} {'ms':>9} {'share':>6} {'queries':>8}")
    for t, code, n in sorted(rows, reverse=True):
        print(f"  {code:<28} {t * 1000:9.1f} {t / total:6.1%} {n:8d}")
    print(f"  {'sum':<28} {total * 1000:9.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the dataset first")
    parser.add_argument("--scale", type=float, default=1.0, help="dataset size when generated")
    parser.add_argument("--ambito", default="cremona", help="ambito code (default cremona)")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each (median)")
    parser.add_argument(
        "--per-indicator", action="store_true", help="time each indicator even if within 1.5×"
    )
    parser.add_argument(
        "--jit",
        choices=("on", "off", "server"),
        default="server",
        help="PostgreSQL JIT for this session, both sides (default: the server's setting)",
    )
    parser.add_argument("--url", help="the dataset's database (default: by --scale)")
    parser.add_argument("--json", type=Path, help="write the result (JSON) to this file")
    args = parser.parse_args(argv)
    args.url = args.url or common.province_url(args.scale)

    report_data.ensure(args.url, regenerate=args.regenerate, scale=args.scale)
    events = report_data.print_counts()

    from django.db import connection

    with connection.cursor() as cur:
        if args.jit != "server":
            cur.execute(f"SET jit = {args.jit}")
        cur.execute("SHOW jit")
        jit = cur.fetchone()[0]

    from legami.models import Ambito
    from reports.indicators import Scope, parse_period
    from reports.selectors import report

    ambito = Ambito.objects.get(code=args.ambito)
    period = parse_period(str(args.year))
    scope = Scope(ambito.pk)

    def run_floor() -> Figures:
        return floor(ambito.pk, period.start, period.end)

    def run_report() -> Figures:
        return flatten(report(scope, period))

    expected, got = run_report(), run_floor()  # warm-up of each, and the check
    problems = compare(expected, got)
    t_floor: list[float] = []
    t_report: list[float] = []
    for _ in range(args.repeat):
        t_floor.append(timed(run_floor))
        t_report.append(timed(run_report))
    floor_med, report_med = statistics.median(t_floor), statistics.median(t_report)
    ratio = report_med / floor_med
    print(
        f"\n{ambito.name} ({ambito.code}), {period.code}; {events:,} events; "
        f"{len(expected)} figures, {args.repeat} runs each, alternating, jit {jit}"
    )
    print(
        f"(a) floor, one SQL statement:  median {floor_med * 1000:8.1f} ms  "
        f"best {min(t_floor) * 1000:8.1f} ms"
    )
    print(
        f"(b) reports.selectors.report:  median {report_med * 1000:8.1f} ms  "
        f"best {min(t_report) * 1000:8.1f} ms"
    )
    print(
        f"ratio (b)/(a): {ratio:.2f} (best/best {min(t_report) / min(t_floor):.2f}), limit {LIMIT}"
    )
    print(f"figures that differ: {len(problems)}")
    for p in problems:
        print("   ", p)
    if ratio > LIMIT or args.per_indicator:
        per_indicator(scope, period, args.repeat)
    if args.json:
        res = common.result(
            "reports",
            title=f"Piano di zona report, {ambito.name} {period.code}",
            scale=args.scale,
            measured=("reports.selectors.report (median)", report_med * 1000, "ms"),
            floor=("one hand-written SQL statement (median)", floor_med * 1000, "ms"),
            # The limit holds on the province dataset; on a smoke-sized one the fixed
            # cost of 18 small queries against one dominates and says nothing.
            limit=LIMIT if args.scale >= 1 else None,
            checks={f"all {len(expected)} figures agree with the SQL": not problems},
            details={"events": events, "figures": len(expected), "jit": jit, "repeat": args.repeat},
        )
        common.emit(res, args.json)
    if problems:
        return 1
    return 2 if ratio > LIMIT and args.scale >= 1 else 0


if __name__ == "__main__":
    sys.exit(main())
