"""The API lives under /api/v1/, with session and token login and an offline OpenAPI."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from legami.models import Ambito, Comune
from legami.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory():
    cremona = Ambito.objects.create(code="cremona", name="Ambito di Cremona", managing_body="ASC")
    crema = Ambito.objects.create(code="crema", name="Ambito di Crema", managing_body="CSC")
    Comune.objects.create(belfiore_code="D150", name="Cremona", province="CR", ambito=cremona)
    Comune.objects.create(belfiore_code="D142", name="Crema", province="CR", ambito=crema)
    Comune.objects.create(belfiore_code="B898", name="Casalmaggiore", province="CR")
    return cremona, crema


def test_anonymous_requests_are_refused(client):
    """Deny by default: without a login the API answers 401/403 and shows nothing."""
    for url in ("/api/v1/me/", "/api/v1/comuni/", "/api/v1/ambiti/"):
        assert client.get(url).status_code in (401, 403), url


def test_session_login_reaches_the_api(social_worker_client, social_worker):
    """A logged-in browser session is an API login, and /me lists today's roles."""
    response = social_worker_client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == social_worker.email
    assert response.json()["roles"] == [Role.OPERATOR]


def test_token_login_reaches_the_api(client, citizen):
    """A token in the Authorization header authenticates an API client."""
    token = Token.objects.create(user=citizen)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["roles"] == []
    bad = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.status_code == 401


def test_comuni_filter_by_ambito_and_name(citizen_client, territory):
    """Comuni can be filtered by ambito code and searched by name."""
    all_rows = citizen_client.get("/api/v1/comuni/").json()
    assert all_rows["count"] == 3
    crema = citizen_client.get("/api/v1/comuni/?ambito=crema").json()["results"]
    assert [c["belfiore_code"] for c in crema] == ["D142"]
    found = citizen_client.get("/api/v1/comuni/?search=casal").json()["results"]
    assert [(c["name"], c["ambito"]) for c in found] == [("Casalmaggiore", None)]


def test_ambiti_count_their_comuni(citizen_client, territory):
    rows = citizen_client.get("/api/v1/ambiti/").json()
    assert {r["code"]: r["comuni_count"] for r in rows} == {"cremona": 1, "crema": 1}


def test_comuni_list_query_count_does_not_grow(
    citizen_client, territory, django_assert_max_num_queries
):
    """Listing comuni costs the same number of queries for 3 rows or 60."""
    cremona, _ = territory
    Comune.objects.bulk_create(
        Comune(belfiore_code=f"Z{n:03d}", name=f"Comune {n}", province="CR", ambito=cremona)
        for n in range(60)
    )
    with django_assert_max_num_queries(6):
        response = citizen_client.get("/api/v1/comuni/?limit=100")
    assert response.json()["count"] == 63


def test_openapi_schema_and_docs_work_offline(client):
    """The schema is OpenAPI 3 and the docs load Swagger UI from our own static files."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.")
    assert "/api/v1/me/" in body["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
