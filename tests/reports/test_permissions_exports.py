"""Permission matrix of the report files (reports/views_exports.py); see
tests/permissions.py.

The organisations of the ambito administrator and of the coordinator serve the ambito
``cremona``, not ``crema``. Whoever may export the report of an ambito (its
administrators and coordinators, network administrators for all) asks for its files
(302 to the file's page), opens the monthly reports of those ambiti and their own files;
another person's file, or a file of another ambito, is not there (404). Every other role
exports no report (403); anonymous visitors are sent to log in (302). The pages other
than the request are read only (405 on POST); the request is a POST (405 on GET).
"""

from __future__ import annotations

import pytest

from legami.roles import Role
from reports.models import ExportFormat, ExportKind, ExportStatus, ReportExport
from tests.legami.factories import AmbitoFactory
from tests.permissions import ROLES, Row, check, make_role_user, rows
from tests.test_permission_matrix import _concrete, _route_regex, _walk

Expected = dict[str, int | tuple[int, ...]]
LOGIN: Expected = {"anonymous": 302}
EXPORTERS = (Role.AMBITO_ADMIN, Role.COORDINATOR, Role.NETWORK_ADMIN)

LIST = "/reports/file/"
START = "/reports/{ambito.code}/2026/esporta/"
START_OTHER = "/reports/{other.code}/2026/esporta/"
MONTHLY = "/reports/file/{monthly.token}/"
MONTHLY_PROGRESS = "/reports/file/{monthly.token}/stato/"
MONTHLY_DOWNLOAD = "/reports/file/{monthly.token}/scarica/"
OTHER_MONTHLY = "/reports/file/{other_monthly.token}/"
SOMEONES = "/reports/file/{someones.token}/"
SOMEONES_DOWNLOAD = "/reports/file/{someones.token}/scarica/"

ROWS: list[Row] = [
    *rows("GET", LIST, {**LOGIN, **dict.fromkeys(EXPORTERS, 200)}, default=403),
    *rows("POST", LIST, LOGIN, default=405),
    *rows(
        "POST",
        START,
        {**LOGIN, **dict.fromkeys(EXPORTERS, 302)},
        default=403,
        data={"format": "csv"},
    ),
    *rows(
        "POST",
        START_OTHER,
        {**LOGIN, Role.AMBITO_ADMIN: 404, Role.COORDINATOR: 404, Role.NETWORK_ADMIN: 302},
        default=403,
        data={"format": "csv"},
    ),
    *rows("GET", START, LOGIN, default=405),
    *rows("GET", MONTHLY, {**LOGIN, **dict.fromkeys(EXPORTERS, 200)}, default=403),
    *rows("GET", MONTHLY_PROGRESS, {**LOGIN, **dict.fromkeys(EXPORTERS, 200)}, default=403),
    # Monthly files are prepared but their file is not kept in this world: 404 for readers.
    *rows("GET", MONTHLY_DOWNLOAD, {**LOGIN, **dict.fromkeys(EXPORTERS, 404)}, default=403),
    *rows("POST", MONTHLY, LOGIN, default=405),
    *rows(
        "GET",
        OTHER_MONTHLY,
        {**LOGIN, Role.AMBITO_ADMIN: 404, Role.COORDINATOR: 404, Role.NETWORK_ADMIN: 200},
        default=403,
    ),
    # Asked for by the network administrator: nobody else opens it.
    *rows(
        "GET",
        SOMEONES,
        {**LOGIN, **dict.fromkeys(EXPORTERS, 404), Role.NETWORK_ADMIN: 200},
        default=403,
    ),
    *rows(
        "GET",
        SOMEONES_DOWNLOAD,
        {**LOGIN, **dict.fromkeys(EXPORTERS, 404)},
        default=403,
    ),
]


@pytest.fixture
def world(db, make_user, enable_totp):
    cremona = AmbitoFactory(code="cremona", name="Ambito di Cremona")
    crema = AmbitoFactory(code="crema", name="Ambito di Crema")
    users = {role: make_role_user(make_user, enable_totp, role) for role in ROLES}
    users.pop("anonymous")
    for role in (Role.AMBITO_ADMIN, Role.COORDINATOR):
        users[role].memberships.get().organisation.ambiti.set([cremona])

    def monthly(ambito):
        return ReportExport.objects.create(
            ambito=ambito,
            period="2026-03",
            format=ExportFormat.PDF,
            kind=ExportKind.MONTHLY,
            status=ExportStatus.DONE,
        )

    someones = ReportExport.objects.create(
        ambito=cremona,
        period="2026",
        format=ExportFormat.XLSX,
        requested_by=users[Role.NETWORK_ADMIN],
        status=ExportStatus.QUEUED,
    )
    return {
        "users": users,
        "ambito": cremona,
        "other": crema,
        "monthly": monthly(cremona),
        "other_monthly": monthly(crema),
        "someones": someones,
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_report_file_permissions(row, world, matrix_client):
    check(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    for url in {row.url for row in ROWS}:
        for method in {row.method for row in ROWS if row.url == url}:
            assert {r.role for r in ROWS if r.url == url and r.method == method} == set(ROLES)


def test_every_report_file_route_has_a_row():
    from reports import urls

    routes = [
        f"reports/{r}"
        for r in _walk(urls.urlpatterns)
        if r.startswith("file/") or r.endswith("esporta/")
    ]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert len(routes) == 5 and missing == []
