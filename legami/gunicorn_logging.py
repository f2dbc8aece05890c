"""gunicorn's access log without secrets in URLs.

An invitation link (``/partners/invitations/<token>/``) and a password-reset link
(``/accounts/password/reset/key/<key>/``) carry a one-time secret in the path. Both
pages redirect at once to a URL without it, but the first request still reaches the
access log: this logger writes it with the secret replaced by ``<redacted>``.
Used by the deployment: ``gunicorn --logger-class legami.gunicorn_logging.RedactingLogger``.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

SECRET_PATHS = re.compile(
    r"(/partners/invitations/|/accounts/password/reset/key/)(?!accept/)[^/?\s]+"
)


def redact(text: str) -> str:
    """``text`` with every secret path segment replaced."""
    return SECRET_PATHS.sub(r"\1<redacted>", text)


class RedactingLogger(Logger):
    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        # Every atom: the request line and path, and also the referer and the copies of
        # the WSGI environment (``{raw_uri}e``) that a custom format could print.
        return {key: redact(v) if isinstance(v, str) else v for key, v in atoms.items()}
