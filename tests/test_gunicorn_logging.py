"""The production access log never holds an invitation token or a password-reset key."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from gunicorn.config import Config

from legami.gunicorn_logging import RedactingLogger, redact


def test_secret_segments_are_redacted_and_other_paths_kept():
    assert redact("GET /partners/invitations/Zx9-abc_DEF/ HTTP/1.1") == (
        "GET /partners/invitations/<redacted>/ HTTP/1.1"
    )
    assert redact("/accounts/password/reset/key/3f-set-password/") == (
        "/accounts/password/reset/key/<redacted>/"
    )
    assert redact("/partners/invitations/accept/") == "/partners/invitations/accept/"
    assert redact("/partners/cisvol/members/") == "/partners/cisvol/members/"


def test_the_logger_redacts_the_request_line_path_and_referer():
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/partners/invitations/s3cr3t-token/",
        "PATH_INFO": "/partners/invitations/s3cr3t-token/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://legami.example.org/partners/invitations/s3cr3t-token/",
        "QUERY_STRING": "",
    }
    response = SimpleNamespace(status="302 Found", sent=0, headers=[])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    atoms = logger.atoms(response, request, environ, dt.timedelta(milliseconds=5))
    assert "s3cr3t" not in " ".join(str(v) for v in atoms.values())
    assert atoms["U"] == "/partners/invitations/<redacted>/"
