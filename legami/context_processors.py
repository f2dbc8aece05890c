from django.http import HttpRequest

from legami.navigation import visible_nav_items


def navigation(request: HttpRequest) -> dict[str, object]:
    """The navigation entries the current person may use."""
    return {"nav_items": visible_nav_items(getattr(request, "user", None))}
