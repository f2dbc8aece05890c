"""URLs of the fundraising app under /fundraising/: the public pages, the payment
provider's webhook, and the fundraisers' desk under gestione/."""

from django.urls import URLPattern, URLResolver

from fundraising.views import (
    manage,
    manage_bank,
    manage_campaigns,
    manage_exports,
    manage_gifts,
    public,
    public_consent,
    webhooks,
)

app_name = "fundraising"

urlpatterns: list[URLPattern | URLResolver] = [
    *public.urlpatterns,
    *public_consent.urlpatterns,
    *webhooks.urlpatterns,
    *manage.urlpatterns,
    *manage_campaigns.urlpatterns,
    *manage_gifts.urlpatterns,
    *manage_exports.urlpatterns,
    *manage_bank.urlpatterns,
]
