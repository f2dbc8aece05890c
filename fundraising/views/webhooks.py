"""The payment provider's webhook: verified by its signature (the provider's library),
then applied once (``fundraising.services.payments``). No session, no CSRF token: the
signature is the authentication. 400 for a bad signature; 404 when card payment is not
configured."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fundraising.payments import WebhookRejected, provider
from fundraising.services.payments import payment_event_apply


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    card = provider()
    if card is None or card.name != "stripe":
        raise Http404
    try:
        event = card.parse_webhook(payload=request.body, headers=request.headers)
    except WebhookRejected:
        return HttpResponse(status=400)
    if event is not None:
        payment_event_apply(event=event)
    return HttpResponse(status=200)


urlpatterns: list[URLPattern] = [
    path("webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
]
