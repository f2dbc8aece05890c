"""Import of an existing case list from CSV or XLSX."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from codicefiscale import codicefiscale
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from beneficiaries.models import Case, CaseAssignment, Person, PersonArea
from beneficiaries.services.cases import case_assign
from beneficiaries.services.imports import case_list_import
from beneficiaries.services.persons import person_create
from legami.audit import audit_history
from legami.models import ChangeEvent, Comune
from legami.roles import Role
from tests.beneficiaries.factories import PersonFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

HEADER = [
    "Cognome",
    "Nome",
    "Codice fiscale",
    "Data nascita",
    "Sesso",
    "Comune residenza",
    "Area",
    "Data presa in carico",
    "Operatore",
]


def cf(last, first, sex, born):
    return codicefiscale.encode(
        lastname=last, firstname=first, gender=sex, birthdate=born.isoformat(), birthplace="D150"
    )


ROSSI = cf("Rossi", "Maria", "F", dt.date(1950, 4, 3))
BIANCHI = cf("Bianchi", "Luigi", "M", dt.date(1947, 12, 1))
VERDI = cf("Verdi", "Nicolò", "M", dt.date(1960, 1, 20))


@pytest.fixture
def world(db):
    ambito = AmbitoFactory(code="cremona")
    organisation = OrganisationFactory(slug="azienda-sociale-cremonese", ambiti=[ambito])
    ComuneFactory(name="Cremona", belfiore_code="D150", istat_code="019036", ambito=ambito)
    ComuneFactory(name="Soresina", belfiore_code="I827", istat_code="019098", ambito=ambito)
    worker = MembershipFactory(
        organisation=organisation, role=Role.OPERATOR, user__email="giulia@example.org"
    ).user
    coordinator = MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, user__email="capo@example.org"
    ).user
    return {"ambito": ambito, "organisation": organisation, "worker": worker, "actor": coordinator}


CLEAN_ROWS = [
    ["Rossi", "Maria", ROSSI, "03/04/1950", "F", "Cremona", "anziani", "10/01/2025",
     "giulia@example.org"],
    ["Bianchi", "Luigi", BIANCHI, "1947-12-01", "M", "I827", "Povertà e disagio adulti",
     "2025-02-01", ""],
    ["Verdi", "Nicolò", VERDI, "20/01/1960", "M", "019036", "disabili", "", ""],
]  # fmt: skip


def csv_bytes(rows, *, sep=";", encoding="utf-8-sig"):
    lines = [sep.join(HEADER), *(sep.join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    sheet["D2"] = dt.datetime(1950, 4, 3)  # noqa: DTZ001 - Excel keeps naive dates
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(world, data, filename="elenco.csv", **kwargs):
    kwargs.setdefault("dry_run", False)
    return case_list_import(
        file=data,
        filename=filename,
        actor=world["actor"],
        organisation=world["organisation"],
        ambito=world["ambito"],
        **kwargs,
    )


def test_a_dry_run_reports_each_problem_per_row_and_writes_nothing(world):
    PersonFactory(codice_fiscale=BIANCHI, no_codice_fiscale_reason="")
    rows = [
        CLEAN_ROWS[0],
        ["Bianchi", "Luigi", BIANCHI, "01/12/1947", "M", "Cremona", "anziani", "", ""],
        ["Neri", "Anna", "NRENNA50A41D15XX", "01/01/1950", "F", "Cremona", "anziani", "", ""],
        ["Verdi", "Nicolò", VERDI, "21/01/1960", "F", "Cremona", "anziani", "", ""],
        ["Gialli", "Ada", "", "", "F", "Atlantide", "astronauti", "", "nessuno@example.org"],
        ["Rossi", "Maria", ROSSI, "03/04/1950", "F", "Cremona", "anziani", "", ""],
        ["", "Senza cognome", "", "31/02/1950", "X", "", "", "domani", ""],
    ]
    before = Person.objects.count()

    report = run(world, csv_bytes(rows), dry_run=True)

    problems = {row.line: " | ".join(row.problems) for row in report.rows}
    assert problems[2] == ""
    assert "already on file" in problems[3]
    assert "not valid" in problems[4]
    assert "date of birth" in problems[5] and "sex" in problems[5]
    assert "Unknown comune “Atlantide”" in problems[6]
    assert "Unknown area “astronauti”" in problems[6]
    assert "nessuno@example.org" in problems[6]
    assert "line 2" in problems[7]
    assert "surname is missing" in problems[8]
    assert "“31/02/1950” is not a date" in problems[8]
    assert "“X” is not M or F" in problems[8]
    assert "“domani” is not a date" in problems[8]
    assert not report.is_clean and report.created == 0
    assert Person.objects.count() == before


def test_a_clean_file_is_imported_with_audit(world):
    report = run(world, csv_bytes(CLEAN_ROWS))

    assert report.is_clean and report.created == 3
    rossi = Person.objects.get(codice_fiscale=ROSSI)
    assert (rossi.first_name, rossi.birth_date, rossi.sex) == ("Maria", dt.date(1950, 4, 3), "F")
    assert rossi.residence_comune.name == "Cremona"
    case = rossi.cases.get()
    assert (case.organisation, case.ambito) == (world["organisation"], world["ambito"])
    assert case.opened_on == dt.date(2025, 1, 10)
    assert case.assignments.get().worker == world["worker"]
    assert set(PersonArea.objects.values_list("area", flat=True)) == {
        "anziani",
        "poverta",
        "disabili",
    }
    assert Person.objects.get(codice_fiscale=BIANCHI).residence_comune.name == "Soresina"
    assert CaseAssignment.objects.count() == 1
    events = ChangeEvent.objects.filter(batch=report.batch, action="create")
    assert events.filter(target_type="beneficiaries.person").count() == 3
    assert events.filter(target_type="beneficiaries.case").count() == 3


def test_a_dirty_file_imports_nothing_unless_only_clean(world):
    rows = [*CLEAN_ROWS, ["Neri", "Anna", "NRENNA50A41D15XX", "", "F", "", "", "", ""]]

    report = run(world, csv_bytes(rows))
    assert report.created == 0
    assert Person.objects.count() == 0 and Case.objects.count() == 0

    report = run(world, csv_bytes(rows), only_clean=True)
    assert report.created == 3
    assert set(Person.objects.values_list("last_name", flat=True)) == {"Rossi", "Bianchi", "Verdi"}


@pytest.mark.parametrize(
    ("sep", "encoding"),
    [(";", "utf-8-sig"), (",", "utf-8-sig"), (",", "utf-8"), (";", "cp1252"), ("\t", "utf-8")],
)
def test_csv_separators_and_encodings(world, sep, encoding):
    report = run(world, csv_bytes(CLEAN_ROWS, sep=sep, encoding=encoding))
    assert report.created == 3, [r.problems for r in report.rows]
    assert Person.objects.filter(first_name="Nicolò").exists()


def test_an_xlsx_file_is_imported(world):
    report = run(world, xlsx_bytes(CLEAN_ROWS), filename="elenco.xlsx")
    assert report.created == 3, [r.problems for r in report.rows]
    assert Person.objects.get(codice_fiscale=ROSSI).birth_date == dt.date(1950, 4, 3)


def test_a_file_over_the_size_limit_is_refused(world, settings):
    settings.CASE_IMPORT_MAX_BYTES = 1024
    report = run(world, csv_bytes(CLEAN_ROWS * 20))
    assert report.file_problems and report.created == 0
    assert Person.objects.count() == 0


def test_a_file_without_the_name_columns_is_refused(world):
    report = run(world, b"colonna;altra\r\n1;2\r\n", dry_run=True)
    assert report.file_problems and not report.rows


# --- The page ---------------------------------------------------------------------------------


@pytest.fixture
def page_world(world, coordinator):
    membership = coordinator.memberships.get()
    membership.organisation = world["organisation"]
    membership.save()
    return world


def _upload(client, world, data, name="elenco.csv"):
    return client.post(
        "/cases/import/",
        {
            "step": "check",
            "file": SimpleUploadedFile(name, data),
            "organisation": world["organisation"].pk,
            "ambito": world["ambito"].pk,
        },
    )


def test_the_page_checks_then_imports_on_confirmation(page_world, coordinator_client):
    rows = [*CLEAN_ROWS, ["Neri", "Anna", "NRENNA50A41D15XX", "", "F", "", "", "", ""]]
    response = _upload(coordinator_client, page_world, csv_bytes(rows))
    assert response.status_code == 200
    assert "NRENNA50A41D15XX" in response.content.decode()
    assert Person.objects.count() == 0

    response = coordinator_client.post("/cases/import/", {"step": "confirm", "mode": "clean"})
    assert response.status_code == 200
    assert Person.objects.count() == 3
    # The file is gone from the session once imported.
    response = coordinator_client.post("/cases/import/", {"step": "confirm", "mode": "clean"})
    assert Person.objects.count() == 3


def test_the_page_refuses_a_file_over_the_limit(page_world, coordinator_client, settings):
    settings.CASE_IMPORT_MAX_BYTES = 1024
    response = _upload(coordinator_client, page_world, csv_bytes(CLEAN_ROWS * 20))
    assert response.status_code == 200
    assert "larger than" in response.content.decode()
    assert Person.objects.count() == 0


def test_a_social_worker_may_not_import(world, social_worker_client):
    assert social_worker_client.get("/cases/import/").status_code == 403


def test_a_person_added_meanwhile_rolls_the_whole_import_back(world, monkeypatch):
    from beneficiaries.services import imports

    parse = imports.case_list_parse

    def parse_then_someone_adds_rossi(**kwargs):
        report = parse(**kwargs)
        PersonFactory(codice_fiscale=ROSSI, no_codice_fiscale_reason="")
        return report

    monkeypatch.setattr(imports, "case_list_parse", parse_then_someone_adds_rossi)
    report = run(world, csv_bytes(CLEAN_ROWS))

    assert report.created == 0 and report.file_problems
    assert Person.objects.count() == 1 and Case.objects.count() == 0


# --- Through the services -----------------------------------------------------------------


def _audit_shape(obj):
    """What the change history records of ``obj``: each row's action and changed fields."""
    return sorted(
        (event.action, tuple(sorted(event.changes))) for event in audit_history(obj).order_by("pk")
    )


def test_an_imported_file_has_the_audit_rows_of_a_file_opened_on_the_page(world):
    # Given a file opened on the page by the coordinator, with a case manager
    page_person = person_create(
        actor=world["actor"],
        data={
            "first_name": "Maria",
            "last_name": "Rossi",
            "codice_fiscale": ROSSI,
            "birth_date": dt.date(1950, 4, 3),
            "sex": "F",
            "residence_comune": Comune.objects.get(belfiore_code="I827"),
        },
        areas=["anziani"],
        organisation=world["organisation"],
        ambito=world["ambito"],
    )
    page_case = page_person.cases.get()
    case_assign(
        case=page_case, worker=world["worker"], kind=CaseAssignment.Kind.LEAD, actor=world["actor"]
    )

    # When the same kind of row is imported
    row = ["Bianchi", "Luigi", BIANCHI, "01/12/1947", "M", "Soresina", "anziani", "10/01/2025",
           "giulia@example.org"]  # fmt: skip
    report = run(world, csv_bytes([row]), filename="elenco-2025.csv")

    # Then person, case and assignment have one audit row each, shaped as the page's
    assert report.created == 1, report.file_problems
    person = Person.objects.get(codice_fiscale=BIANCHI)
    case = person.cases.get()
    assignment = case.assignments.get()
    assert _audit_shape(person) == _audit_shape(page_person)
    assert _audit_shape(case) == _audit_shape(page_case)
    assert _audit_shape(assignment) == _audit_shape(page_case.assignments.get())
    # ... tied to the import by its batch id and note
    imported = ChangeEvent.objects.filter(batch=report.batch)
    assert imported.count() == 3
    assert set(imported.values_list("note", flat=True)) == {"imported from elenco-2025.csv"}
    assert not ChangeEvent.objects.filter(batch__isnull=False).exclude(batch=report.batch)
    assert (case.opened_on, assignment.start) == (dt.date(2025, 1, 10), dt.date(2025, 1, 10))
    assert person.birth_comune.belfiore_code == "D150"  # from the code, as on the page


def test_the_import_stays_under_thirty_queries_a_row(world):
    """Each row costs the services' queries (person, area, case, case manager and their
    audit rows) and not more as the file grows; the savepoints of the nested services'
    transactions are counted apart."""
    neri = cf("Neri", "Anna", "F", dt.date(1970, 5, 5))
    rows = [
        *(row[:8] + ["giulia@example.org"] for row in CLEAN_ROWS),
        ["Neri", "Anna", neri, "05/05/1970", "F", "Cremona", "anziani", "", "giulia@example.org"],
    ]

    def queries_for(rows):
        with CaptureQueriesContext(connection) as captured:
            report = run(world, csv_bytes(rows))
        assert report.created == len(rows), report.file_problems
        sql = [q["sql"] for q in captured.captured_queries]
        savepoints = [s for s in sql if s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
        return len(sql) - len(savepoints), len(savepoints)

    one, one_savepoints = queries_for(rows[:1])
    three, three_savepoints = queries_for(rows[1:])

    assert (three - one) / 2 < 30
    assert (three_savepoints - one_savepoints) / 2 < 15
    assert three < 30 * 3


def test_a_similar_person_born_the_same_day_is_reported_by_the_dry_run(world):
    PersonFactory(
        first_name="Nicolo",
        last_name="Verdi",
        birth_date=dt.date(1960, 1, 20),
        codice_fiscale="",
        no_codice_fiscale_reason="not_known",
    )
    rows = [CLEAN_ROWS[0], ["Verdi", "Nicolò", "", "20/01/1960", "M", "", "", "", ""]]

    report = run(world, csv_bytes(rows), dry_run=True)

    assert report.rows[0].clean
    assert "similar name" in " ".join(report.rows[1].problems)


def test_a_centenarian_keeps_the_century_of_the_date_of_birth(world):
    code = cf("Neri", "Anna", "F", dt.date(1920, 4, 3))
    row = ["Neri", "Anna", code, "03/04/1920", "F", "", "", "", ""]

    report = run(world, csv_bytes([row]))

    assert report.created == 1, [r.problems for r in report.rows] + report.file_problems
    assert Person.objects.get(codice_fiscale=code).birth_date == dt.date(1920, 4, 3)


def test_a_row_the_policy_refuses_rolls_the_whole_import_back(world):
    world["actor"].memberships.update(end_date=dt.date(2020, 1, 1), start_date=dt.date(2019, 1, 1))

    report = run(world, csv_bytes(CLEAN_ROWS))

    assert report.created == 0 and "Line 2" in report.file_problems[0]
    assert Person.objects.count() == 0 and ChangeEvent.objects.count() == 0
