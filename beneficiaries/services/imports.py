"""Import of an existing case list (CSV or XLSX) into the case files of one service.

One row is one person taken in charge: a Person, its vulnerability area, a Case at the
service in the ambito, and (when an e-mail is given) the worker assigned as case manager.
Headers may be Italian or English (``cognome``/``last_name``, ``nome``, ``codice_fiscale``,
``data_nascita``, ``sesso``, ``comune_residenza``, ``area``, ``data_presa_in_carico``,
``operatore``). A dry run reports each row's problems and writes nothing; a real run
writes nothing unless every row is clean, or, with ``only_clean``, writes the clean rows.

Rows are created through the persons and cases services, with the same checks, policy
and audit rows as a file opened on the page; the audit rows of one import share a batch
id and the note "imported from <file>".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import IO, Any

from codicefiscale import codicefiscale
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from beneficiaries.models import (
    CaseAssignment,
    NoCodiceFiscaleReason,
    Person,
    Sex,
    VulnerabilityArea,
)
from beneficiaries.services.cases import case_assign, case_open
from beneficiaries.services.persons import _names_similar, person_create
from legami.audit import audit_batch
from legami.models import Ambito, Comune, User
from legami.policy import subject_for
from legami.roles import Role
from partners.models import Membership, Organisation

# Accepted headers (normalised: lower case, accents and punctuation folded to "_").
HEADERS: dict[str, tuple[str, ...]] = {
    "last_name": ("cognome", "last_name", "surname"),
    "first_name": ("nome", "first_name", "name"),
    "codice_fiscale": ("codice_fiscale", "cf", "codicefiscale", "tax_code"),
    "birth_date": ("data_nascita", "data_di_nascita", "nascita", "birth_date", "date_of_birth"),
    "sex": ("sesso", "sex", "genere"),
    "comune": ("comune_residenza", "comune_di_residenza", "comune", "residence_comune"),
    "area": ("area", "area_di_intervento", "area_istat"),
    "opened_on": ("data_presa_in_carico", "presa_in_carico", "data_apertura", "opened_on"),
    "worker": ("operatore", "email_operatore", "operatore_email", "worker", "worker_email"),
}
REQUIRED = ("last_name", "first_name")

# The Italian names of the ISTAT areas, as they appear in the ISTAT survey and in the
# lists services keep (data, not interface text).
AREA_ALIASES: dict[str, str] = {
    "famiglia e minori": VulnerabilityArea.FAMILY_MINORS,
    "famiglie e minori": VulnerabilityArea.FAMILY_MINORS,
    "minori e famiglia": VulnerabilityArea.FAMILY_MINORS,
    "disabilita": VulnerabilityArea.DISABILITY,
    "disabili": VulnerabilityArea.DISABILITY,
    "anziani": VulnerabilityArea.ELDERLY,
    "poverta": VulnerabilityArea.POVERTY,
    "poverta e disagio adulti": VulnerabilityArea.POVERTY,
    "disagio adulti": VulnerabilityArea.POVERTY,
    "immigrati": VulnerabilityArea.IMMIGRANTS,
    "immigrati e nomadi": VulnerabilityArea.IMMIGRANTS,
    "dipendenze": VulnerabilityArea.ADDICTION,
    "multiutenza": VulnerabilityArea.MULTI,
}
SEXES = {
    "m": Sex.MALE,
    "maschio": Sex.MALE,
    "male": Sex.MALE,
    "f": Sex.FEMALE,
    "femmina": Sex.FEMALE,
    "female": Sex.FEMALE,
}
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")


@dataclass
class ImportRow:
    """One data row of the file: its line number (the header is line 1), the values as
    read, the problems found, and what it resolves to when clean."""

    line: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)
    resolved: dict[str, Any] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.problems


@dataclass
class ImportReport:
    """What an import found and did."""

    rows: list[ImportRow] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)
    dry_run: bool = True
    created: int = 0
    batch: Any = None

    @property
    def clean_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.clean]

    @property
    def problem_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.clean]

    @property
    def is_clean(self) -> bool:
        return not self.file_problems and bool(self.rows) and not self.problem_rows


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _header_map(header: list[str]) -> dict[int, str]:
    lookup = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
    return {i: lookup[_fold(h)] for i, h in enumerate(header) if _fold(h) in lookup}


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _read_table(data: bytes, filename: str) -> list[list[str]]:
    """The file's rows as text cells, from an XLSX workbook's first sheet or a CSV
    (UTF-8 with or without BOM, or Windows-1252; separated by ";", "," or tab)."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _parse_date(text: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    return None


def _area_lookup() -> dict[str, str]:
    lookup = {_fold(k): v for k, v in AREA_ALIASES.items()}
    for value, label in VulnerabilityArea.choices:
        lookup[_fold(value)] = value
        for language in ("it", "en"):
            with translation.override(language):
                lookup[_fold(str(label))] = value
    return lookup


def _row_birth_date(row: ImportRow) -> dt.date | None:
    """The date of birth that ``person_create`` will record: the one typed, or else the
    one in a valid codice fiscale."""
    typed = _parse_date(row.values.get("birth_date", ""))
    if typed is not None:
        return typed
    code = row.values.get("codice_fiscale", "").replace(" ", "").upper()
    if code and codicefiscale.is_valid(code):
        born: dt.date = codicefiscale.decode(code)["birthdate"].date()
        return born
    return None


class _Resolver:
    """Looks up comuni, workers and codici fiscali already on file, a few queries for the
    whole file."""

    def __init__(self, rows: list[ImportRow], organisation: Organisation) -> None:
        comuni = list(Comune.objects.all())
        self.comuni: dict[str, Comune] = {}
        for comune in comuni:
            self.comuni.setdefault(_fold(comune.name), comune)
            self.comuni[comune.belfiore_code.upper()] = comune
            if comune.istat_code:
                self.comuni[comune.istat_code] = comune
        emails = {r.values.get("worker", "").lower() for r in rows} - {""}
        today = timezone.localdate()
        members = Membership.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today),
            organisation=organisation,
            role__in=[Role.OPERATOR, Role.COORDINATOR],
            start_date__lte=today,
            user__is_active=True,
        ).select_related("user")
        self.workers: dict[str, User] = {
            m.user.email.lower(): m.user for m in members if m.user.email.lower() in emails
        }
        codes = {r.values.get("codice_fiscale", "").upper() for r in rows} - {""}
        self.codes_on_file = set(
            Person.objects.filter(codice_fiscale__in=codes).values_list("codice_fiscale", flat=True)
        )
        self.areas = _area_lookup()
        # People already on file born on a date of the file: ``person_create`` refuses a
        # similar name on the same date of birth, so the check reports it beforehand.
        births = {_row_birth_date(r) for r in rows} - {None}
        self.born_on: dict[dt.date, list[tuple[str, str, str, str]]] = {}
        for first, last, born, code in Person.objects.filter(
            birth_date__in=births, anonymised_at__isnull=True
        ).values_list("first_name", "last_name", "birth_date", "codice_fiscale"):
            if born is not None:
                self.born_on.setdefault(born, []).append((first, last, code, ""))

    def comune(self, text: str) -> Comune | None:
        text = text.strip()
        return self.comuni.get(text.upper()) or self.comuni.get(_fold(text))


def _check_row(row: ImportRow, resolver: _Resolver, seen_codes: dict[str, int]) -> None:
    v = row.values
    problems = row.problems
    for name in REQUIRED:
        if not v.get(name):
            label = {"last_name": gettext("surname"), "first_name": gettext("first name")}[name]
            problems.append(gettext("The %(column)s is missing.") % {"column": label})
    birth_date = None
    if v.get("birth_date"):
        birth_date = _parse_date(v["birth_date"])
        if birth_date is None:
            problems.append(
                gettext("The date of birth “%(value)s” is not a date (use dd/mm/yyyy).")
                % {"value": v["birth_date"]}
            )
        elif birth_date > timezone.localdate():
            problems.append(gettext("The date of birth is in the future."))
    sex = ""
    if v.get("sex"):
        sex = SEXES.get(v["sex"].strip().lower(), "")
        if not sex:
            problems.append(gettext("The sex “%(value)s” is not M or F.") % {"value": v["sex"]})
    code = v.get("codice_fiscale", "").replace(" ", "").upper()
    if code:
        if not codicefiscale.is_valid(code):
            problems.append(
                gettext("The codice fiscale “%(value)s” is not valid.") % {"value": code}
            )
        else:
            decoded = codicefiscale.decode(code)
            born = decoded["birthdate"]
            if birth_date is not None and (born.month, born.day, born.year % 100) != (
                birth_date.month,
                birth_date.day,
                birth_date.year % 100,
            ):
                problems.append(gettext("The codice fiscale does not match the date of birth."))
            if sex and decoded["gender"].upper() != sex:
                problems.append(gettext("The codice fiscale does not match the sex."))
            if code in resolver.codes_on_file:
                problems.append(gettext("A person with this codice fiscale is already on file."))
            if code in seen_codes:
                problems.append(
                    gettext("The same codice fiscale is already on line %(line)d of the file.")
                    % {"line": seen_codes[code]}
                )
            else:
                seen_codes[code] = row.line
    born = _row_birth_date(row)
    if born is not None:
        first, last = v.get("first_name", ""), v.get("last_name", "")
        for other_first, other_last, other_code, line in resolver.born_on.get(born, []):
            if code and other_code == code:
                continue  # the same codice fiscale, reported above
            if _names_similar(first, last, other_first, other_last):
                if line:
                    problems.append(
                        gettext("Line %(line)s has a similar name and the same date of birth.")
                        % {"line": line}
                    )
                else:
                    problems.append(
                        gettext(
                            "A person with a similar name and the same date of birth is "
                            "already on file."
                        )
                    )
                break
        resolver.born_on.setdefault(born, []).append((first, last, code, str(row.line)))
    comune = None
    if v.get("comune"):
        comune = resolver.comune(v["comune"])
        if comune is None:
            problems.append(gettext("Unknown comune “%(value)s”.") % {"value": v["comune"]})
    area = ""
    if v.get("area"):
        area = resolver.areas.get(_fold(v["area"]), "")
        if not area:
            problems.append(gettext("Unknown area “%(value)s”.") % {"value": v["area"]})
    opened_on = timezone.localdate()
    if v.get("opened_on"):
        parsed = _parse_date(v["opened_on"])
        if parsed is None:
            problems.append(
                gettext("The date of taking charge “%(value)s” is not a date (use dd/mm/yyyy).")
                % {"value": v["opened_on"]}
            )
        elif parsed > timezone.localdate():
            problems.append(gettext("The date of taking charge is in the future."))
        else:
            opened_on = parsed
    worker = None
    if v.get("worker"):
        worker = resolver.workers.get(v["worker"].strip().lower())
        if worker is None:
            problems.append(
                gettext("“%(value)s” is not a social worker of this service.")
                % {"value": v["worker"]}
            )
    row.resolved = {
        "code": code,
        "birth_date": birth_date,
        "sex": sex,
        "comune": comune,
        "area": area,
        "opened_on": opened_on,
        "worker": worker,
    }


def case_list_parse(
    *, file: IO[bytes] | bytes, filename: str, organisation: Organisation
) -> ImportReport:
    """Read the file and check every row; writes nothing."""
    report = ImportReport()
    data = file if isinstance(file, bytes) else file.read()
    if len(data) > settings.CASE_IMPORT_MAX_BYTES:
        report.file_problems.append(
            gettext("The file is larger than %(size)d MB.")
            % {"size": max(1, settings.CASE_IMPORT_MAX_BYTES // (1024 * 1024))}
        )
        return report
    if not filename.lower().endswith((".csv", ".xlsx", ".txt")):
        report.file_problems.append(gettext("Upload a CSV or an Excel (.xlsx) file."))
        return report
    try:
        table = _read_table(data, filename)
    except Exception:  # a corrupt workbook raises anything from zipfile to openpyxl
        report.file_problems.append(gettext("The file could not be read."))
        return report
    table = [row for row in table if any(cell for cell in row)]
    if not table:
        report.file_problems.append(gettext("The file is empty."))
        return report
    columns = _header_map(table[0])
    missing = [name for name in REQUIRED if name not in columns.values()]
    if missing:
        report.file_problems.append(
            gettext("The first row must name the columns; “cognome” and “nome” are required.")
        )
        return report
    for number, cells in enumerate(table[1:], start=2):
        values = {name: (cells[i] if i < len(cells) else "") for i, name in columns.items()}
        report.rows.append(ImportRow(line=number, values=values))
    if not report.rows:
        report.file_problems.append(gettext("The file has no rows after the header."))
        return report
    resolver = _Resolver(report.rows, organisation)
    seen: dict[str, int] = {}
    for row in report.rows:
        _check_row(row, resolver, seen)
    return report


def case_list_import(
    *,
    file: IO[bytes] | bytes,
    filename: str,
    actor: User,
    organisation: Organisation,
    ambito: Ambito,
    dry_run: bool,
    only_clean: bool = False,
) -> ImportReport:
    """Check a case list and, unless ``dry_run``, import it for ``organisation`` in
    ``ambito``: all rows if every row is clean, only the clean ones with ``only_clean``,
    otherwise nothing. One transaction; every created person and case is recorded in the
    change history under one batch id."""
    if not organisation.ambiti.filter(pk=ambito.pk).exists():
        raise ValidationError(gettext("The service does not work in this ambito."))
    report = case_list_parse(file=file, filename=filename, organisation=organisation)
    report.dry_run = dry_run
    if dry_run or report.file_problems:
        return report
    rows = report.clean_rows if only_clean else (report.rows if report.is_clean else [])
    if not rows:
        return report
    try:
        _rows_create(report, rows, filename, actor, organisation, ambito)
    except IntegrityError:
        # Someone added one of these codici fiscali since the check: nothing was written.
        report.created = 0
        report.file_problems.append(
            gettext("The case files changed while importing: nothing was imported, check again.")
        )
    except _RowRefused as refused:
        # A service refused a row (a person added meanwhile, the policy): the whole
        # import was rolled back.
        report.created = 0
        report.batch = None
        refused.row.problems.append(refused.reason)
        report.file_problems.append(
            gettext("Line %(line)d was refused (%(reason)s): nothing was imported, check again.")
            % {"line": refused.row.line, "reason": refused.reason}
        )
    return report


def _rows_create(
    report: ImportReport,
    rows: list[ImportRow],
    filename: str,
    actor: User,
    organisation: Organisation,
    ambito: Ambito,
) -> None:
    """Create each row through the services, as a file opened on the page: the person
    (``person_create``), the case (``case_open``) and the named case manager
    (``case_assign``), each audited by its service under one batch id."""
    # A coordinator who is also a social worker of the service becomes case manager of
    # the cases they open (``case_open``): the worker named in the file takes over.
    actor_leads = organisation.pk in subject_for(actor).orgs(Role.OPERATOR)
    with transaction.atomic(), audit_batch(note=f"imported from {filename}"[:500]) as batch:
        for row in rows:
            r = row.resolved
            try:
                person = person_create(
                    actor=actor,
                    data={
                        "first_name": row.values["first_name"][:100],
                        "last_name": row.values["last_name"][:100],
                        "codice_fiscale": r["code"],
                        "no_codice_fiscale_reason": (
                            "" if r["code"] else NoCodiceFiscaleReason.NOT_KNOWN
                        ),
                        "birth_date": r["birth_date"],
                        "sex": r["sex"],
                        "residence_comune": r["comune"],
                    },
                    areas=[r["area"]] if r["area"] else [],
                )
                case = case_open(
                    person=person,
                    organisation=organisation,
                    ambito=ambito,
                    actor=actor,
                    opened_on=r["opened_on"],
                )
                worker = r["worker"]
                if worker is not None and not (actor_leads and worker.pk == actor.pk):
                    case_assign(
                        case=case,
                        worker=worker,
                        kind=CaseAssignment.Kind.LEAD,
                        actor=actor,
                        start=r["opened_on"],
                    )
            except ValidationError as exc:
                raise _RowRefused(row, " ".join(exc.messages)) from exc
            except PermissionDenied as exc:
                raise _RowRefused(
                    row, gettext("You may not open case files for this service.")
                ) from exc
        report.batch = batch.id
        report.created = len(rows)


class _RowRefused(Exception):
    def __init__(self, row: ImportRow, reason: str) -> None:
        super().__init__(reason)
        self.row = row
        self.reason = reason
