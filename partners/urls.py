from django.urls import URLPattern, URLResolver

app_name = "partners"

# Pages of this app are added by its own issue.
urlpatterns: list[URLPattern | URLResolver] = []
