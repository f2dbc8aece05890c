from django.urls import URLPattern, URLResolver

app_name = "pacts"

# Pages of this app are added by its own issue.
urlpatterns: list[URLPattern | URLResolver] = []
