"""A local fake of Stripe's API for the tests (never the network): an HTTP server on
127.0.0.1 that answers the Checkout Session creation the way Stripe does, and keeps the
requests it got; and webhook payloads signed the way Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeStripe:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.base = ""


@contextmanager
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
            fake.requests.append(
                {"path": self.path, "form": form, "auth": self.headers.get("Authorization")}
            )
            if self.path != "/v1/checkout/sessions":
                self.send_response(404)
                self.end_headers()
                return
            number = len(fake.requests)
            answer = {
                "id": f"cs_test_{number}",
                "object": "checkout.session",
                "url": f"https://checkout.stripe.test/pay/cs_test_{number}",
                "client_reference_id": form.get("client_reference_id"),
                "payment_status": "unpaid",
            }
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def signed(payload: dict[str, Any], secret: str, *, at: int | None = None) -> tuple[bytes, str]:
    """A webhook body and its Stripe-Signature header (HMAC-SHA256 of "t.body")."""
    body = json.dumps(payload).encode()
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return body, f"t={timestamp},v1={mac.hexdigest()}"


def session_completed(public_id: str, cents: int, intent: str = "pi_test_1") -> dict[str, Any]:
    return {
        "id": "evt_test_1",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": "cs_test_1",
                "object": "checkout.session",
                "payment_status": "paid",
                "client_reference_id": public_id,
                "metadata": {"donation": public_id},
                "payment_intent": intent,
                "amount_total": cents,
            }
        },
    }


def charge_refunded(intent: str, cents: int) -> dict[str, Any]:
    return {
        "id": "evt_test_2",
        "object": "event",
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": "ch_test_1",
                "object": "charge",
                "refunded": True,
                "payment_intent": intent,
                "amount_refunded": cents,
                "metadata": {},
            }
        },
    }
