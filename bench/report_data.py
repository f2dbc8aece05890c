"""A province-scale dataset for the piano di zona report benchmark (``bench/reports.py``).

Into a dedicated PostgreSQL database (``legami_bench`` on the local server by default;
created and migrated when missing): the real territory (the three ambiti and the 113
comuni of the province of Cremona, ``legami.services.territory_load_default``), then,
set-based in SQL (``INSERT … SELECT … FROM generate_series``), about 1.8 million
event-like rows over 2023–2026, most of them in 2024–2026:

* people (residence in one of the 113 comuni, 5% none; sex F/M/unknown; birth date or
  none; 0–7 vulnerability areas), 1–3 cases each in the ambito of residence (5% in
  another), opened and about half closed; 1–3 intakes each by channel; LSNS-6
  assessments (1–4 for 70% of the people) and a few UCLA-3;
* pacts for 65% of the cases in every status (interrupted before and after signature),
  signatories (beneficiary, case worker, organisations, community) signed at any time
  of the day, goals, commitments, reviews (some on the same day) with goal outcomes,
  reciprocity hours on the ledger (person → organisation, some the other way, some
  reversed, with their entries), work placements;
* 300 labs (10% of Wel(l)fare LAB practitioners), their comuni, 50 meetings each
  (cancelled, closed, scheduled, some in the future) with 14 registrations (attended
  or not), needs (some merged), interventions;
* Civic Center: the 9 categories of the catalogue, 600 offers, 100,000 demands, 10,000
  agreements and 50,000 members (families by account, by contact address in mixed case,
  or by demand);
* fundraising: 300 campaigns (of an ambito, of a lab's intervention, or of neither),
  30,000 donors, 160,000 donations in every status dated within their campaign (5%
  to no campaign), matching pledges (conditional and not, with and without a deadline);
* Wel(l)fare LAB: 60 pathways, 400 surveys, 40,000 invitations (half answered).

Every "random" choice is a hash of the row's id and a fixed salt
(``hashint8extended``), so the data are the same on every run, whatever the plan
PostgreSQL picks. Ids are given explicitly (and the identity sequences moved past
them), then VACUUM ANALYZE. A marker table (``bench_report_marker``) records a finished
generation: a second run does nothing unless ``--regenerate`` (which drops and
recreates the database).

    .venv/bin/python -m bench.report_data [--regenerate] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/legami_bench"
MARKER = "bench_report_marker"
VERSION = 3

# The tables whose rows are counted as events (ledger entries are printed, not counted:
# they are the two sides of each transaction).
EVENT_TABLES = (
    "beneficiaries_case",
    "beneficiaries_intake",
    "beneficiaries_assessment",
    "pacts_pact",
    "pacts_signatory",
    "pacts_goal",
    "pacts_commitment",
    "pacts_review",
    "pacts_reviewgoaloutcome",
    "pacts_ledgertransaction",
    "pacts_placement",
    "labs_meeting",
    "labs_registration",
    "labs_need",
    "labs_intervention",
    "civic_center_demand",
    "civic_center_agreement",
    "civic_center_agreementmember",
    "fundraising_donation",
    "fundraising_matchingpledge",
    "research_survey",
    "research_invitation",
)
OTHER_TABLES = (
    "beneficiaries_person",
    "beneficiaries_personarea",
    "pacts_ledgeraccount",
    "pacts_ledgerentry",
    "labs_lab",
    "labs_lab_comuni",
    "civic_center_offer",
    "fundraising_campaign",
    "fundraising_donor",
    "research_pathway",
)


def _admin_dsn(url: str) -> tuple[str, str]:
    """The URL of the server's ``postgres`` database and the name of the bench one."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def ensure_database(url: str, *, drop: bool = False) -> bool:
    """Create the database of ``url`` if missing (drop it first if ``drop``); whether it
    was created."""
    import psycopg2

    admin, name = _admin_dsn(url)
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"unexpected database name {name!r}")
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            if drop:
                cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone():
                return False
            cur.execute(f"CREATE DATABASE {name}")
            return True
    finally:
        conn.close()


def setup(url: str = DEFAULT_URL, *, regenerate: bool = False) -> None:
    """Point Django at the bench database (created if missing), set it up and migrate."""
    from bench import common

    ensure_database(url, drop=regenerate)
    os.environ.update(common.django_env(url))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


# --- The generation, in SQL -----------------------------------------------------------------

# ``@NAME@`` is replaced by an integer before a statement runs (no driver parameters, so
# that ``%`` needs no escaping).
FUNCTIONS = r"""
CREATE FUNCTION pg_temp.r(i bigint, salt int) RETURNS float8 LANGUAGE sql IMMUTABLE AS
  $$ SELECT (hashint8extended(i, salt) & 2147483647)::float8 / 2147483648 $$;
CREATE FUNCTION pg_temp.ri(i bigint, salt int, n int) RETURNS int LANGUAGE sql IMMUTABLE AS
  $$ SELECT floor((hashint8extended(i, salt) & 2147483647)::float8 / 2147483648 * n)::int $$;
CREATE FUNCTION pg_temp.day(i bigint, salt int, lo date, hi date) RETURNS date
  LANGUAGE sql IMMUTABLE AS
  $$ SELECT lo + floor((hashint8extended(i, salt) & 2147483647)::float8 / 2147483648
                       * (hi - lo + 1))::int $$;
CREATE FUNCTION pg_temp.at(d date, minutes int) RETURNS timestamptz LANGUAGE sql STABLE AS
  $$ SELECT (d::timestamp + make_interval(mins => minutes)) AT TIME ZONE 'Europe/Rome' $$;
CREATE TEMP TABLE _a AS
  SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, id FROM legami_ambito;
CREATE TEMP TABLE _c AS
  SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, id, ambito_id,
         (row_number() OVER (PARTITION BY ambito_id ORDER BY id) - 1)::int AS j,
         count(*) OVER (PARTITION BY ambito_id)::int AS n
  FROM legami_comune WHERE ambito_id IS NOT NULL;
"""

BASE = r"""
INSERT INTO partners_organisation
  (id, name, slug, kind, tax_code, address, email, phone, website, is_funder, member_since,
   is_active)
SELECT g, 'Bench organisation ' || g, 'bench-org-' || g,
       (ARRAY['azienda_consortile','cooperativa_sociale','associazione','fondazione',
              'comune','impresa'])[1 + pg_temp.ri(g, 1, 6)],
       '', '', '', '', '', g % 5 = 0, NULL, true
FROM generate_series(1, @N_ORGS@) g;

INSERT INTO legami_user
  (id, password, last_login, is_superuser, first_name, last_name, is_staff, is_active,
   date_joined, email, language)
SELECT g, '!', NULL, false, 'Bench', 'User ' || g, false, true, now(),
       'bench-user-' || g || '@example.org', 'it'
FROM generate_series(1, @N_USERS@) g;

CREATE TEMP TABLE _o AS
  SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, id FROM partners_organisation
  WHERE slug LIKE 'bench-%';
CREATE TEMP TABLE _u AS
  SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, id FROM legami_user
  WHERE email LIKE 'bench-%';
"""

PEOPLE = r"""
INSERT INTO beneficiaries_person
  (id, public_id, first_name, last_name, codice_fiscale, no_codice_fiscale_reason,
   birth_date, sex, birth_country, citizenship, languages, phone, email, address,
   restricted, anonymised_at, created_at, residence_comune_id)
SELECT g, md5('person' || g)::uuid, 'Nome', 'Cognome ' || g,
       CASE WHEN pg_temp.r(g, 11) < 0.03 THEN '' ELSE 'BNCH' || lpad(g::text, 12, '0') END,
       CASE WHEN pg_temp.r(g, 11) < 0.03 THEN 'not_known' ELSE '' END,
       CASE WHEN pg_temp.r(g, 12) < 0.05 THEN NULL
            ELSE pg_temp.day(g, 13, date '1925-01-01', date '2024-12-31') END,
       CASE WHEN pg_temp.r(g, 14) < 0.04 THEN ''
            WHEN pg_temp.r(g, 14) < 0.52 THEN 'F' ELSE 'M' END,
       '', '', '', '', '', '', pg_temp.r(g, 15) < 0.02, NULL, now(),
       CASE WHEN pg_temp.r(g, 16) < 0.05 THEN NULL ELSE c.id END
FROM generate_series(1, @N_PEOPLE@) g
JOIN _c c ON c.i = pg_temp.ri(g, 17, 113);

INSERT INTO beneficiaries_personarea (id, person_id, area)
SELECT p.id * 8 + k, p.id,
       (ARRAY['famiglia_minori','disabili','anziani','poverta','immigrati','dipendenze',
              'multiutenza'])[k + 1]
FROM beneficiaries_person p CROSS JOIN generate_series(0, 6) k
WHERE pg_temp.r(p.id * 8 + k, 18) < 0.2;

-- The ambito each person belongs to (of residence; a random one with none).
CREATE TEMP TABLE _home AS
SELECT p.id, coalesce(c.ambito_id, a.id) AS ambito_id
FROM beneficiaries_person p
LEFT JOIN legami_comune c ON c.id = p.residence_comune_id
JOIN _a a ON a.i = pg_temp.ri(p.id, 19, 3);

INSERT INTO beneficiaries_case
  (id, opened_on, stage, closed_on, closure_reason, ambito_id, organisation_id, intake_id,
   person_id)
SELECT id, opened_on,
       CASE WHEN closed_on IS NOT NULL THEN 'closed'
            ELSE (ARRAY['intake','assessment','pact','monitoring'])[1 + pg_temp.ri(id, 24, 4)]
       END,
       closed_on,
       CASE WHEN closed_on IS NOT NULL
            THEN (ARRAY['goals_reached','referred','moved','withdrew','other'])[
                   1 + pg_temp.ri(id, 25, 5)] ELSE '' END,
       ambito_id, organisation_id, NULL, person_id
FROM (
  SELECT x.*,
         CASE WHEN pg_temp.r(x.id, 22) < 0.55
                   AND x.opened_on + 10 + pg_temp.ri(x.id, 23, 700) <= date '2026-11-28'
              THEN x.opened_on + 10 + pg_temp.ri(x.id, 23, 700) END AS closed_on
  FROM (
    SELECT h.id * 4 + k AS id, h.id AS person_id,
           pg_temp.day(h.id * 4 + k, 21, date '2023-01-01', date '2026-11-28') AS opened_on,
           CASE WHEN pg_temp.r(h.id * 4 + k, 26) < 0.05 THEN a.id ELSE h.ambito_id END
             AS ambito_id,
           o.id AS organisation_id
    FROM _home h CROSS JOIN generate_series(0, 2) k
    JOIN _a a ON a.i = pg_temp.ri(h.id * 4 + k, 27, 3)
    JOIN _o o ON o.i = (h.id + k * 5) % @N_ORGS@
    WHERE k = 0 OR (k = 1 AND pg_temp.r(h.id, 28) < 0.35) OR (k = 2 AND pg_temp.r(h.id, 28) < 0.1)
  ) x
) y;

INSERT INTO beneficiaries_intake
  (id, date, channel, reported_by, first_needs, ambito_id, organisation_id, person_id)
SELECT h.id * 4 + k,
       pg_temp.day(h.id * 4 + k, 31, date '2023-01-01', date '2026-11-28'),
       (ARRAY['self','self','family','community_lab','partner','school','health','health',
              'other'])[1 + pg_temp.ri(h.id * 4 + k, 32, 9)],
       '', '',
       CASE WHEN pg_temp.r(h.id * 4 + k, 33) < 0.05 THEN a.id ELSE h.ambito_id END,
       o.id, h.id
FROM _home h CROSS JOIN generate_series(0, 2) k
JOIN _a a ON a.i = pg_temp.ri(h.id * 4 + k, 34, 3)
JOIN _o o ON o.i = pg_temp.ri(h.id * 4 + k, 35, @N_ORGS@)
WHERE k = 0 OR (k = 1 AND pg_temp.r(h.id, 36) < 0.4) OR (k = 2 AND pg_temp.r(h.id, 36) < 0.15);

INSERT INTO beneficiaries_assessment
  (id, kind, date, answers, total, family_score, friends_score, at_risk, note, person_id)
SELECT id, 'lsns6', date, '{}'::jsonb, fam + fri, fam, fri, fam + fri < 12, '', person_id
FROM (
  SELECT p.id * 8 + k AS id, p.id AS person_id,
         pg_temp.day(p.id * 8 + k, 41, date '2023-01-01', date '2026-11-28') AS date,
         pg_temp.ri(p.id * 8 + k, 42, 16) AS fam, pg_temp.ri(p.id * 8 + k, 43, 16) AS fri
  FROM beneficiaries_person p CROSS JOIN generate_series(0, 3) k
  WHERE pg_temp.r(p.id, 44) < 0.7 AND (k = 0 OR pg_temp.r(p.id * 8 + k, 45) < 0.5)
) x;

INSERT INTO beneficiaries_assessment
  (id, kind, date, answers, total, family_score, friends_score, at_risk, note, person_id)
SELECT p.id * 8 + 7, 'ucla3',
       pg_temp.day(p.id * 8 + 7, 46, date '2023-01-01', date '2026-11-28'), '{}'::jsonb,
       3 + pg_temp.ri(p.id, 47, 7), NULL, NULL, false, '', p.id
FROM beneficiaries_person p WHERE pg_temp.r(p.id, 48) < 0.1;
"""

PACTS = r"""
-- Pacts: one for @PACT_PERMILLE@ in 1000 cases (pact id = case id).
CREATE TEMP TABLE _p AS
SELECT id, person_id, opened_on, st, sd, early,
       CASE WHEN st IN ('completed', 'interrupted') AND eo > date '2026-11-28' THEN 'active'
            ELSE st END AS status,
       CASE WHEN st IN ('completed', 'interrupted') AND eo <= date '2026-11-28' THEN eo END
         AS ended_on
FROM (
  SELECT *, CASE WHEN early THEN sd - 10 + pg_temp.ri(id, 56, 25)
                 ELSE sd + 30 + pg_temp.ri(id, 57, 600) END AS eo
  FROM (
    SELECT c.id, c.person_id, c.opened_on, s.st,
           c.opened_on + 7 + pg_temp.ri(c.id, 52, 60) AS sd,
           s.st = 'interrupted' AND pg_temp.r(c.id, 53) < 0.4 AS early
    FROM beneficiaries_case c
    CROSS JOIN LATERAL (SELECT pg_temp.r(c.id, 51) AS rs) r
    CROSS JOIN LATERAL (
      SELECT CASE WHEN rs < 0.08 THEN 'draft' WHEN rs < 0.15 THEN 'proposed'
                  WHEN rs < 0.25 THEN 'signed' WHEN rs < 0.50 THEN 'active'
                  WHEN rs < 0.55 THEN 'in_review' WHEN rs < 0.85 THEN 'completed'
                  ELSE 'interrupted' END AS st) s
    WHERE pg_temp.r(c.id, 50) < @PACT_PERMILLE@ * 0.001
  ) a
) b;
ALTER TABLE _p ADD COLUMN start_date date, ADD COLUMN signed boolean;
UPDATE _p SET early = early AND status = 'interrupted';
UPDATE _p SET
  start_date = CASE WHEN status IN ('draft', 'proposed') AND pg_temp.r(id, 58) < 0.5 THEN NULL
                    WHEN early AND pg_temp.r(id, 59) < 0.5 THEN NULL ELSE sd END,
  signed = status NOT IN ('draft', 'proposed') AND NOT early;
CREATE INDEX ON _p (id);

INSERT INTO pacts_pact
  (id, public_id, covers_household, title, context, strengths, status, start_date, end_date,
   review_every_weeks, next_review_on, ended_on, interruption_reason, scan, created_at,
   updated_at, case_id, person_id)
SELECT id, md5('pact' || id)::uuid, false, 'Patto ' || id, '', '', status, start_date,
       start_date + 365, 1 + pg_temp.ri(id, 60, 52), NULL, ended_on,
       CASE WHEN status = 'interrupted' THEN 'interrotto' ELSE '' END, '',
       pg_temp.at(opened_on, 600), pg_temp.at(opened_on, 600), id, person_id
FROM _p;

-- Signatories: beneficiary (0), case worker (1), up to two organisations (2, 3),
-- sometimes the community (4). A pact past signature has them all signed, at any time of
-- the day up to 20 days before its start (1%: one organisation never signed); a proposed
-- or early-interrupted one only the beneficiary's.
INSERT INTO pacts_signatory
  (id, kind, name, signed_at, on_paper, organisation_id, pact_id, user_id)
SELECT p.id * 5 + k,
       (ARRAY['beneficiary','case_worker','organisation','organisation','community'])[k + 1],
       CASE WHEN k = 4 THEN 'Comunità di quartiere' ELSE '' END,
       CASE WHEN (p.signed AND NOT (k = 3 AND pg_temp.r(p.id, 61) < 0.01))
                 OR (k = 0 AND (p.status = 'proposed' OR p.early))
            THEN pg_temp.at(p.sd - 1 - pg_temp.ri(p.id * 5 + k, 62, 20),
                            pg_temp.ri(p.id * 5 + k, 63, 1440)) END,
       false,
       CASE WHEN k IN (2, 3) THEN o.id END,
       p.id,
       CASE WHEN k = 1 THEN u.id END
FROM _p p CROSS JOIN generate_series(0, 4) k
JOIN _o o ON o.i = (p.id + k * 7) % @N_ORGS@
JOIN _u u ON u.i = p.id % 50
WHERE k <= 2 OR (k = 3 AND pg_temp.r(p.id, 64) < 0.5) OR (k = 4 AND pg_temp.r(p.id, 65) < 0.2);

INSERT INTO pacts_goal
  (id, position, description, indicator, target, target_date, pact_id)
SELECT p.id * 4 + k, k, 'Obiettivo ' || k, '', '', p.sd + 180, p.id
FROM _p p CROSS JOIN generate_series(0, 3) k
WHERE k = 0 OR pg_temp.r(p.id * 4 + k, 66) < 0.5;

INSERT INTO pacts_commitment
  (id, position, direction, kind, description, owner, quantity, unit, period, pact_id)
SELECT p.id * 4 + k, k,
       CASE WHEN k % 2 = 0 THEN 'provides' ELSE 'gives_back' END,
       CASE WHEN k % 2 = 0
            THEN (ARRAY['service','economic','mentoring','hours','place','other'])[
                   1 + pg_temp.ri(p.id * 4 + k, 67, 6)]
            ELSE (ARRAY['volunteering','lab','peer_support','other'])[
                   1 + pg_temp.ri(p.id * 4 + k, 67, 4)] END,
       '', 'Ente', 2, 'hours', 'week', p.id
FROM _p p CROSS JOIN generate_series(0, 3) k
WHERE k <= 1 OR pg_temp.r(p.id * 4 + k, 68) < 0.3;

-- Reviews of the pacts that ran: every ~60 days from the start, up to their end; 5% of
-- the second reviews on the same day as the first.
INSERT INTO pacts_review (id, date, notes, next_review_on, final, created_at, pact_id)
SELECT id, date, '', date + 60, false, pg_temp.at(date, 700), pact_id
FROM (
  SELECT p.id * 4 + k AS id, p.id AS pact_id, p.ended_on,
         CASE WHEN k = 1 AND pg_temp.r(p.id, 69) < 0.05 THEN p.start_date + 60
              ELSE p.start_date + 60 * (k + 1) + pg_temp.ri(p.id * 4 + k, 70, 20) END AS date
  FROM _p p CROSS JOIN generate_series(0, 3) k
  WHERE p.start_date IS NOT NULL AND p.signed
) x
WHERE date <= least(coalesce(ended_on, date '2026-11-28'), date '2026-11-28');

INSERT INTO pacts_reviewgoaloutcome (id, outcome, note, goal_id, review_id)
SELECT r.id * 4 + g.position, (ARRAY['achieved','partly','not_achieved'])[
         1 + pg_temp.ri(r.id * 4 + g.position, 71, 3)], '', g.id, r.id
FROM pacts_review r JOIN pacts_goal g ON g.pact_id = r.pact_id
WHERE pg_temp.r(r.id * 4 + g.position, 72) < 0.8;

-- The ledger: an account per person with a pact (id = person id) and per organisation
-- (id = 1e9 + organisation id).
INSERT INTO pacts_ledgeraccount (id, person_id, organisation_id)
SELECT DISTINCT person_id, person_id, NULL::bigint FROM _p;
INSERT INTO pacts_ledgeraccount (id, person_id, organisation_id)
SELECT 1000000000 + id, NULL, id FROM _o;

INSERT INTO pacts_ledgertransaction
  (id, date, hours, description, recorded_at, commitment_id, giver_id, receiver_id, pact_id)
SELECT id, date, hours, '', pg_temp.at(date, 1200),
       CASE WHEN pg_temp.r(id, 73) < 0.6 THEN pact_id * 4 + 1 END,
       CASE WHEN back THEN org ELSE person_id END,
       CASE WHEN back THEN person_id ELSE org END, pact_id
FROM (
  SELECT p.id * 8 + k AS id, p.id AS pact_id, p.person_id,
         p.start_date + pg_temp.ri(p.id * 8 + k, 74,
           least(coalesce(p.ended_on, date '2026-11-28'), date '2026-11-28')
           - p.start_date + 1) AS date,
         (1 + pg_temp.ri(p.id * 8 + k, 75, 16)) * 0.5 AS hours,
         1000000000 + o.id AS org,
         pg_temp.r(p.id * 8 + k, 76) < 0.1 AS back
  FROM _p p CROSS JOIN generate_series(0, 7) k
  JOIN _o o ON o.i = pg_temp.ri(p.id * 8 + k, 77, @N_ORGS@)
  WHERE p.status IN ('active', 'in_review', 'completed')
    AND p.start_date <= date '2026-11-28'
    AND pg_temp.r(p.id * 8 + k, 78) < 0.5
) x;

-- 3% reversed, three days later (which may fall in the next year).
INSERT INTO pacts_ledgertransaction
  (id, date, hours, description, recorded_at, commitment_id, giver_id, receiver_id, pact_id,
   reverses_id)
SELECT 10000000000 + t.id, t.date + 3, t.hours, 'storno', pg_temp.at(t.date + 3, 1200),
       t.commitment_id, t.receiver_id, t.giver_id, t.pact_id, t.id
FROM pacts_ledgertransaction t WHERE pg_temp.r(t.id, 79) < 0.03;

INSERT INTO pacts_ledgerentry (id, amount, account_id, transaction_id)
SELECT t.id * 2 + side, CASE WHEN side = 0 THEN t.hours ELSE -t.hours END,
       CASE WHEN side = 0 THEN t.giver_id ELSE t.receiver_id END, t.id
FROM pacts_ledgertransaction t CROSS JOIN generate_series(0, 1) side;

INSERT INTO pacts_placement
  (id, host_name, tutor, role, start_date, end_date, hours_per_week, outcome, outcome_date,
   notes, host_organisation_id, pact_id)
SELECT id, CASE WHEN host IS NULL THEN 'Azienda ospitante' ELSE '' END, '', '', start_date,
       start_date + 180, 20,
       CASE WHEN start_date + 180 < date '2026-11-28' AND pg_temp.r(id, 80) < 0.9
            THEN (ARRAY['hired','extended','ended'])[1 + pg_temp.ri(id, 81, 3)]
            ELSE 'ongoing' END,
       CASE WHEN start_date + 180 < date '2026-11-28' AND pg_temp.r(id, 80) < 0.9
            THEN start_date + 180 END,
       '', host, id
FROM (
  SELECT p.id, p.start_date + pg_temp.ri(p.id, 82, 100) AS start_date,
         CASE WHEN pg_temp.r(p.id, 83) < 0.5 THEN o.id END AS host
  FROM _p p JOIN _o o ON o.i = pg_temp.ri(p.id, 84, @N_ORGS@)
  WHERE p.status IN ('active', 'in_review', 'completed') AND pg_temp.r(p.id, 85) < 0.15
) x
WHERE start_date <= date '2026-11-28';
"""

LABS = r"""
INSERT INTO labs_lab (id, slug, title, context, description, status, created_at, ambito_id)
SELECT g, 'bench-lab-' || g, 'Laboratorio ' || g,
       CASE WHEN pg_temp.r(g, 90) < 0.1 THEN 'practitioners'
            ELSE (ARRAY['neighbourhood','town','workplace','school'])[1 + pg_temp.ri(g, 91, 4)]
       END,
       '', 'active', now(), a.id
FROM generate_series(1, @N_LABS@) g JOIN _a a ON a.i = g % 3;

-- 1–4 comuni of the lab's ambito; the first one is where its meetings usually are.
CREATE TEMP TABLE _lc AS
SELECT l.id AS lab_id, k, c.id AS comune_id
FROM labs_lab l CROSS JOIN generate_series(0, 3) k
JOIN _c c ON c.ambito_id = l.ambito_id AND c.j = (l.id * 7 + k * 13) % c.n
WHERE k = 0 OR pg_temp.r(l.id * 4 + k, 92) < 0.4;
INSERT INTO labs_lab_comuni (id, lab_id, comune_id)
SELECT lab_id * 4 + k, lab_id, comune_id FROM _lc;

INSERT INTO labs_meeting
  (id, title, starts_at, ends_at, place, address, accessibility, online_url, capacity,
   reserved_seats, seats_taken, agenda, status, summary, closed_at, comune_id, lab_id)
SELECT id, 'Incontro', starts_at, starts_at + interval '2 hours', 'Sala civica', '', '', '',
       30, 0, 0, '',
       CASE WHEN pg_temp.r(id, 93) < 0.05 THEN 'cancelled'
            WHEN starts_at + interval '2 hours' < now() AND pg_temp.r(id, 94) < 0.8
            THEN 'closed' ELSE 'scheduled' END,
       '',
       CASE WHEN pg_temp.r(id, 93) >= 0.05 AND starts_at + interval '2 hours' < now()
                 AND pg_temp.r(id, 94) < 0.8
            THEN starts_at + interval '1 day' END,
       comune_id, lab_id
FROM (
  SELECT l.id * 100 + mk AS id, l.id AS lab_id,
         pg_temp.at(pg_temp.day(l.id * 100 + mk, 95, date '2023-06-01', date '2026-12-31'),
                    pg_temp.ri(l.id * 100 + mk, 96, 1440)) AS starts_at,
         CASE WHEN pg_temp.r(l.id * 100 + mk, 97) < 0.7 THEN lc.comune_id END AS comune_id
  FROM labs_lab l CROSS JOIN generate_series(0, @MEETINGS_PER_LAB@ - 1) mk
  JOIN _lc lc ON lc.lab_id = l.id AND lc.k = 0
) x;

INSERT INTO labs_registration
  (id, email, name, status, code, nonce, created_at, waiting_since, confirmed_at, attended,
   language, meeting_id)
SELECT id, email, '', status, lpad(k::text, 8, '0'), md5('nonce' || id),
       starts_at - interval '5 days',
       CASE WHEN status = 'waiting' THEN starts_at - interval '4 days' END,
       CASE WHEN status = 'confirmed' THEN starts_at - interval '5 days' END,
       CASE WHEN status = 'confirmed' AND pg_temp.r(id, 99) < 0.9
            THEN pg_temp.r(id, 100) < 0.78 END,
       'it', meeting_id
FROM (
  SELECT m.id * 16 + k AS id, k, m.id AS meeting_id, m.starts_at,
         'p' || ((m.id * 7919 + k * 131) % @EMAILS@) || '@example.org' AS email,
         CASE WHEN pg_temp.r(m.id * 16 + k, 98) < 0.8 THEN 'confirmed'
              WHEN pg_temp.r(m.id * 16 + k, 98) < 0.9 THEN 'cancelled'
              WHEN pg_temp.r(m.id * 16 + k, 98) < 0.95 THEN 'waiting'
              ELSE 'unconfirmed' END AS status
  FROM labs_meeting m CROSS JOIN generate_series(0, 13) k
) x;

INSERT INTO labs_need
  (id, title, description, category, place, status, created_at, votes_count, comune_id,
   lab_id)
SELECT g, 'Bisogno ' || g, '',
       (ARRAY['loneliness','care','housing','work','mobility','youth','public_space',
              'other'])[1 + pg_temp.ri(g, 101, 8)], '',
       (ARRAY['new','new','discussed','taken_up','addressed','addressed'])[
         1 + pg_temp.ri(g, 102, 6)],
       pg_temp.at(pg_temp.day(g, 103, date '2023-06-01', date '2026-11-28'),
                  pg_temp.ri(g, 104, 1440)),
       0, CASE WHEN pg_temp.r(g, 105) < 0.6 THEN lc.comune_id END, lc.lab_id
FROM generate_series(1, @N_NEEDS@) g
JOIN _lc lc ON lc.lab_id = 1 + pg_temp.ri(g, 106, @N_LABS@) AND lc.k = 0;
-- 5% merged into the lab's previous need.
UPDATE labs_need n SET status = 'merged', merged_into_id = (
    SELECT max(o.id) FROM labs_need o WHERE o.lab_id = n.lab_id AND o.id < n.id)
WHERE pg_temp.r(n.id, 107) < 0.05
  AND EXISTS (SELECT 1 FROM labs_need o WHERE o.lab_id = n.lab_id AND o.id < n.id);

INSERT INTO labs_intervention
  (id, title, plan, start_date, end_date, status, created_at, owner_id, lab_id)
SELECT g, 'Intervento ' || g, '', sd, sd + 90,
       (ARRAY['designed','running','running','done','done','dropped'])[
         1 + pg_temp.ri(g, 108, 6)], now(), o.id, 1 + pg_temp.ri(g, 109, @N_LABS@)
FROM generate_series(1, @N_INTERVENTIONS@) g
JOIN _o o ON o.i = pg_temp.ri(g, 110, @N_ORGS@)
CROSS JOIN LATERAL (
  SELECT CASE WHEN pg_temp.r(g, 111) < 0.1 THEN NULL
              ELSE pg_temp.day(g, 112, date '2023-06-01', date '2026-12-31') END AS sd) s;
"""

CIVIC = r"""
-- The categories of the catalogue (created by the migrations).
CREATE TEMP TABLE _cat AS
  SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, id,
         count(*) OVER ()::int AS n FROM civic_center_servicecategory;

INSERT INTO civic_center_offer
  (id, public_id, title, description, pricing_mode, min_group_size, max_group_size,
   valid_from, valid_until, status, created_at, organisation_id, category_id)
SELECT g, md5('offer' || g)::uuid, 'Offerta ' || g, '',
       CASE WHEN g % 2 = 0 THEN 'volume' ELSE 'graduated' END,
       1 + g % 3, CASE WHEN g % 4 = 0 THEN NULL ELSE 4 + g % 10 END,
       vf, vf + 365 + pg_temp.ri(g, 121, 500), 'published', now(), o.id, cat.id
FROM generate_series(1, @N_OFFERS@) g
JOIN _o o ON o.i = pg_temp.ri(g, 120, @N_ORGS@)
JOIN _cat cat ON cat.i = g % cat.n
CROSS JOIN LATERAL (SELECT pg_temp.day(g, 122, date '2023-06-01', date '2026-06-30') AS vf) v;

INSERT INTO civic_center_demand
  (id, public_id, pseudonym, contact_name, contact_email, contact_phone, address, windows,
   start_date, end_date, quantity_per_week, max_unit_price, accepts_sharing, status,
   invitation_code, created_at, comune_id, created_by_id, family_id, category_id)
SELECT g, md5('demand' || g)::uuid, 'D' || lpad(g::text, 11, '0'), '',
       CASE WHEN pg_temp.r(g, 123) < 0.3 THEN ''
            WHEN pg_temp.r(g, 124) < 0.5 THEN 'Fam' || pg_temp.ri(g, 125, 15000) || '@Example.org'
            ELSE 'fam' || pg_temp.ri(g, 125, 15000) || '@example.org' END,
       '', '', 1 + pg_temp.ri(g, 126, 2097150), sd, sd + 30 + pg_temp.ri(g, 127, 370),
       1 + pg_temp.ri(g, 128, 20), 10 + pg_temp.ri(g, 129, 20), pg_temp.r(g, 130) < 0.7,
       'agreed', 'inv' || g, now(), c.id, 1,
       CASE WHEN pg_temp.r(g, 131) < 0.3 THEN 100 + pg_temp.ri(g, 132, @N_USERS@ - 100) END,
       cat.id
FROM generate_series(1, @N_DEMANDS@) g
JOIN _c c ON c.i = pg_temp.ri(g, 134, 113)
JOIN _cat cat ON cat.i = pg_temp.ri(g, 133, cat.n)
CROSS JOIN LATERAL (SELECT pg_temp.day(g, 135, date '2023-06-01', date '2026-11-28') AS sd) s;

INSERT INTO civic_center_agreement
  (id, public_id, solo, status, group_size, tier_min_families, unit_price,
   single_family_price, start_date, end_date, explanation, pricing_mode, tiers,
   min_group_size, created_at, confirmed_at, price_version, offer_id)
SELECT g, md5('agreement' || g)::uuid, false,
       CASE WHEN pg_temp.r(g, 140) < 0.75 THEN 'confirmed'
            WHEN pg_temp.r(g, 140) < 0.9 THEN 'proposed' ELSE 'cancelled' END,
       3, 1, price, round(price * 1.25, 2), sd, sd + 60 + pg_temp.ri(g, 141, 300),
       '{}'::jsonb, 'volume', '[]'::jsonb, 1, now(), NULL, 1,
       1 + pg_temp.ri(g, 142, @N_OFFERS@)
FROM generate_series(1, @N_AGREEMENTS@) g
CROSS JOIN LATERAL (
  SELECT pg_temp.day(g, 143, date '2023-06-01', date '2026-11-28') AS sd,
         (1000 + pg_temp.ri(g, 144, 1500))::numeric / 100 AS price) s;

INSERT INTO civic_center_agreementmember
  (id, status, units_per_week, split, is_new_family, agreement_id, demand_id)
SELECT g,
       CASE WHEN pg_temp.r(g, 145) < 0.8 THEN 'accepted'
            WHEN pg_temp.r(g, 145) < 0.9 THEN 'declined' ELSE 'withdrawn' END,
       (1 + pg_temp.ri(g, 146, 20))::numeric / 2, '{}'::jsonb, false,
       1 + pg_temp.ri(g, 147, @N_AGREEMENTS@), g
FROM generate_series(1, @N_MEMBERS@) g;
"""

FUNDRAISING = r"""
INSERT INTO fundraising_campaign
  (id, public_id, slug, title, summary, story, goal, starts_on, ends_on, status, created_at,
   closed_at, ambito_id, created_by_id, intervention_id, organisation_id)
SELECT g, md5('campaign' || g)::uuid, 'bench-campaign-' || g, 'Campagna ' || g, '', '',
       20000 + pg_temp.ri(g, 150, 50) * 5000, so, so + 90 + pg_temp.ri(g, 151, 300),
       CASE WHEN pg_temp.r(g, 152) < 0.4 THEN 'closed' ELSE 'published' END, now(),
       CASE WHEN pg_temp.r(g, 152) < 0.4 THEN now() END,
       CASE WHEN pg_temp.r(g, 153) < 0.55 THEN a.id END, 1,
       CASE WHEN pg_temp.r(g, 153) >= 0.55 AND pg_temp.r(g, 153) < 0.9
            THEN 1 + pg_temp.ri(g, 154, @N_INTERVENTIONS@) END,
       o.id
FROM generate_series(1, @N_CAMPAIGNS@) g
JOIN _a a ON a.i = g % 3
JOIN _o o ON o.i = pg_temp.ri(g, 155, @N_ORGS@)
CROSS JOIN LATERAL (SELECT pg_temp.day(g, 156, date '2023-06-01', date '2026-09-30') AS so) s;

INSERT INTO fundraising_donor
  (id, public_id, kind, first_name, last_name, company_name, codice_fiscale, partita_iva,
   email, phone, address, postcode, city, wall_name, created_at)
SELECT g, md5('donor' || g)::uuid, 'person', 'Nome', 'Donatore ' || g, '', '', '', '', '', '',
       '', '', '', now()
FROM generate_series(1, @N_DONORS@) g;

-- Gifts to a campaign are dated within it (or up to 60 days after it ended).
INSERT INTO fundraising_donation
  (id, public_id, amount, date, method, status, anonymous, on_wall, causale, provider,
   provider_reference, period, received_at, refunded_at, note, created_at, campaign_id,
   donor_id, organisation_id)
SELECT g, md5('donation' || g)::uuid, (500 + pg_temp.ri(g, 160, 49500))::numeric / 100, d,
       (ARRAY['bank_transfer','card','paypal','cash','cheque'])[1 + pg_temp.ri(g, 161, 5)],
       st, anon, NOT anon AND pg_temp.r(g, 162) < 0.3, NULL, '', NULL, '',
       CASE WHEN st IN ('received', 'refunded') THEN pg_temp.at(d, 720) END,
       CASE WHEN st = 'refunded' THEN pg_temp.at(d + 5, 720) END,
       '', now(), c.id,
       CASE WHEN pg_temp.r(g, 165) < 0.9 THEN 1 + pg_temp.ri(g, 166, @N_DONORS@) END,
       o.id
FROM generate_series(1, @N_DONATIONS@) g
JOIN _o o ON o.i = pg_temp.ri(g, 167, @N_ORGS@)
LEFT JOIN fundraising_campaign c
  ON pg_temp.r(g, 163) < 0.95 AND c.id = 1 + pg_temp.ri(g, 164, @N_CAMPAIGNS@)
CROSS JOIN LATERAL (
  SELECT CASE WHEN c.id IS NULL
              THEN pg_temp.day(g, 168, date '2023-06-01', date '2026-11-28')
              ELSE least(c.starts_on + pg_temp.ri(g, 168, c.ends_on - c.starts_on + 61),
                         date '2026-11-28') END AS d,
         CASE WHEN pg_temp.r(g, 169) < 0.88 THEN 'received'
              WHEN pg_temp.r(g, 169) < 0.93 THEN 'refunded'
              WHEN pg_temp.r(g, 169) < 0.97 THEN 'pledged' ELSE 'cancelled' END AS st,
         pg_temp.r(g, 170) < 0.1 AS anon) s;

INSERT INTO fundraising_matchingpledge
  (id, ratio, cap, only_if_target_reached, deadline, created_at, campaign_id, funder_id)
SELECT g, (50 + pg_temp.ri(g, 171, 150))::numeric / 100, 1000 + pg_temp.ri(g, 172, 100) * 1000,
       pg_temp.r(g, 173) < 0.4,
       CASE WHEN pg_temp.r(g, 174) < 0.5
            THEN pg_temp.day(g, 175, date '2024-01-01', date '2027-03-31') END,
       now() + make_interval(secs => g), 1 + pg_temp.ri(g, 176, @N_CAMPAIGNS@), o.id
FROM generate_series(1, @N_PLEDGES@) g
JOIN _o o ON o.i = pg_temp.ri(g, 177, @N_ORGS@);
"""

RESEARCH = r"""
INSERT INTO research_pathway
  (id, title, theme, starts_on, ends_on, lead_id, ambito_id, created_at, description)
SELECT g, 'Percorso ' || g, '', so,
       CASE WHEN pg_temp.r(g, 181) < 0.4 THEN NULL ELSE so + 200 + pg_temp.ri(g, 182, 500) END,
       1, CASE WHEN pg_temp.r(g, 183) < 0.8 THEN a.id END, now(), ''
FROM generate_series(1, @N_PATHWAYS@) g
JOIN _a a ON a.i = g % 3
CROSS JOIN LATERAL (
  SELECT CASE WHEN pg_temp.r(g, 180) < 0.1 THEN NULL
              ELSE pg_temp.day(g, 184, date '2023-01-01', date '2026-10-31') END AS so) s;

INSERT INTO research_survey
  (id, title, description, status, anonymous, opens_at, closes_at, closed_at, reminder_round,
   created_at, owner_id, pathway_id)
SELECT g, 'Questionario ' || g, '', st, true,
       CASE WHEN st <> 'draft' THEN op END,
       CASE WHEN st <> 'draft' AND pg_temp.r(g, 186) < 0.6 THEN op + interval '30 days' END,
       CASE WHEN st = 'closed' THEN op + make_interval(days => 10 + pg_temp.ri(g, 187, 50)) END,
       0, now(), 1,
       CASE WHEN pg_temp.r(g, 188) < 0.95 THEN 1 + pg_temp.ri(g, 189, @N_PATHWAYS@) END
FROM generate_series(1, @N_SURVEYS@) g
CROSS JOIN LATERAL (
  SELECT pg_temp.at(pg_temp.day(g, 190, date '2023-06-01', date '2026-11-28'),
                    pg_temp.ri(g, 191, 1440)) AS op,
         CASE WHEN pg_temp.r(g, 185) < 0.1 THEN 'draft'
              WHEN pg_temp.r(g, 185) < 0.4 THEN 'open' ELSE 'closed' END AS st) s;

INSERT INTO research_invitation
  (id, email, role, created_at, answered, answered_on, survey_id)
SELECT s.id * 128 + k, 'r' || k || 's' || s.id || '@example.org', '', now(), ans,
       CASE WHEN ans THEN (s.opens_at AT TIME ZONE 'Europe/Rome')::date
                          + pg_temp.ri(s.id * 128 + k, 193, 60) END,
       s.id
FROM research_survey s CROSS JOIN generate_series(0, @INVITATIONS_PER_SURVEY@ - 1) k
CROSS JOIN LATERAL (
  SELECT s.status <> 'draft' AND pg_temp.r(s.id * 128 + k, 192) < 0.5 AS ans) a;
"""

SEQUENCED = (
    "partners_organisation",
    "legami_user",
    *EVENT_TABLES,
    *OTHER_TABLES,
)


def sizes(scale: float) -> dict[str, int]:
    def n(x: int) -> int:
        return max(1, round(x * scale))

    return {
        "N_ORGS": 40,
        "N_USERS": 2000,
        "N_PEOPLE": n(100_000),
        "PACT_PERMILLE": 650,
        "N_LABS": n(300),
        "MEETINGS_PER_LAB": 50,
        "EMAILS": n(20_000),
        "N_NEEDS": n(25_000),
        "N_INTERVENTIONS": n(3_000),
        "N_OFFERS": n(600),
        "N_DEMANDS": n(100_000),
        "N_AGREEMENTS": n(10_000),
        "N_MEMBERS": n(50_000),
        "N_CAMPAIGNS": n(300),
        "N_DONORS": n(30_000),
        "N_DONATIONS": n(160_000),
        "N_PLEDGES": n(150),
        "N_PATHWAYS": n(60),
        "N_SURVEYS": n(400),
        "INVITATIONS_PER_SURVEY": 100,
    }


def _statements(script: str, values: dict[str, int]) -> list[str]:
    """``script`` split into statements (on ``;`` at the end of a line), ``@NAME@``
    replaced by its value; ``$$`` bodies have no ``;`` at a line end."""
    text = re.sub(r"@([A-Z_]+)@", lambda m: str(values[m.group(1)]), script)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*\n", text + "\n") if s.strip()]


def marker() -> dict[str, Any] | None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [MARKER])
        if cur.fetchone()[0] is None:
            return None
        cur.execute(f"SELECT version, scale, generated_at, seconds FROM {MARKER}")  # noqa: S608
        row = cur.fetchone()
    if row is None or row[0] != VERSION:
        return None
    return {"version": row[0], "scale": row[1], "generated_at": row[2], "seconds": row[3]}


def counts() -> dict[str, int]:
    """Rows per table of the dataset (events first)."""
    from django.db import connection

    found: dict[str, int] = {}
    with connection.cursor() as cur:
        for table in (*EVENT_TABLES, *OTHER_TABLES):
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            found[table] = int(cur.fetchone()[0])
    return found


def generate(scale: float = 1.0, *, verbose: bool = True) -> float:
    """Load the territory and generate the dataset (into an empty, migrated database);
    the seconds it took."""
    from django.db import connection, transaction

    from legami.services.territory import territory_load_default

    started = time.perf_counter()
    territory_load_default()
    values = sizes(scale)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        for name, script in (
            ("functions", FUNCTIONS),
            ("base", BASE),
            ("people", PEOPLE),
            ("pacts", PACTS),
            ("labs", LABS),
            ("civic", CIVIC),
            ("fundraising", FUNDRAISING),
            ("research", RESEARCH),
        ):
            t = time.perf_counter()
            for statement in _statements(script, values):
                cur.execute(statement)
            if verbose:
                print(f"  {name:<16} {time.perf_counter() - t:6.1f} s", flush=True)
        for table in SEQUENCED:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        seconds = time.perf_counter() - started
        cur.execute(
            f"CREATE TABLE {MARKER} (version int, scale float8, generated_at timestamptz, "
            "seconds float8)"
        )
        cur.execute(
            f"INSERT INTO {MARKER} VALUES (%s, %s, now(), %s)",  # noqa: S608
            [VERSION, scale, seconds],
        )
    # VACUUM as well: after a bulk load the visibility map is empty and no index-only
    # scan pays; autovacuum would set it in production.
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    if verbose:
        print(f"  {'vacuum, analyze':<16} {time.perf_counter() - t:6.1f} s", flush=True)
    return time.perf_counter() - started


def ensure(url: str = DEFAULT_URL, *, regenerate: bool = False, scale: float = 1.0) -> None:
    """Set up Django on the bench database and make sure the dataset is there."""
    setup(url, regenerate=regenerate)
    found = marker()
    if found is not None and found["scale"] != scale:
        raise SystemExit(
            f"the bench database holds the dataset at scale {found['scale']}, not {scale}: "
            "use --regenerate (or another --url)"
        )
    if found is not None:
        when = found["generated_at"].strftime("%Y-%m-%d %H:%M")
        print(
            f"dataset present (scale {found['scale']}, generated {when} UTC in "
            f"{found['seconds']:.0f} s of SQL); --regenerate to rebuild it"
        )
        return
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM beneficiaries_person")
        if cur.fetchone()[0]:
            raise SystemExit(
                "the bench database has data but no marker of this generator's version "
                "(an interrupted run, or an older generator): use --regenerate"
            )
    print(f"generating the dataset (scale {scale}) …", flush=True)
    seconds = generate(scale)
    print(f"generated in {seconds:.1f} s")


def print_counts() -> int:
    found = counts()
    events = sum(found[t] for t in EVENT_TABLES)
    print("events by table:")
    for table in EVENT_TABLES:
        print(f"  {table:<32} {found[table]:>10,}")
    print(f"  {'total events':<32} {events:>10,}")
    print("other rows:")
    for table in OTHER_TABLES:
        print(f"  {table:<32} {found[table]:>10,}")
    return events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--regenerate", action="store_true", help="drop and rebuild the dataset")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (1.0: ~1.8M events)")
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)
    ensure(args.url, regenerate=args.regenerate, scale=args.scale)
    events = print_counts()
    return 0 if events >= 1_000_000 or args.scale < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
