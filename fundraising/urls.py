"""URLs of the fundraising app under /fundraising/."""

from django.urls import URLPattern, URLResolver

from fundraising.views import public, webhooks

app_name = "fundraising"

urlpatterns: list[URLPattern | URLResolver] = [*public.urlpatterns, *webhooks.urlpatterns]
