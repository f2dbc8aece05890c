"""The random tokens of invitation links: made when a mail is sent, stored only as their
SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The form in which a link's token is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()
