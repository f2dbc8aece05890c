"""The Django admin, asking the access policy like every other page.

What a person sees, adds and changes in the admin is what ``legami.policy`` allows them;
being a Django superuser adds nothing there. Opening the change page of a record that
holds personal data is a read, written to the access log.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from legami.audit import audit_read
from legami.policy import Action, allowed, visible_to


class PolicyAdminMixin:
    """Permissions and rows of a ModelAdmin (or inline) as the access policy says.

    ``audit_reads``: log each opening of a record's change page as a read of personal
    data; ``audit_subject(obj)`` names the account of the person concerned, if any.
    """

    model: type[models.Model]
    audit_reads = False
    audit_purpose = "admin"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return allowed(request.user, Action.LIST, self.model)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return allowed(request.user, Action.LIST, self.model)
        return allowed(request.user, Action.READ, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return allowed(request.user, Action.CREATE, self.model)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return allowed(request.user, Action.CHANGE, obj if obj is not None else self.model)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # nothing is deleted from the admin: records are deactivated or ended

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        return visible_to(request.user, self.model, Action.LIST, queryset=qs)

    def audit_subject(self, obj: Any) -> Any:
        return None

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )
        if self.audit_reads and request.method == "GET" and response.status_code == 200:
            obj = (
                response.context_data.get("original") if hasattr(response, "context_data") else None
            )
            if obj is not None:
                audit_read(
                    objs=[obj],
                    action="view",
                    purpose=self.audit_purpose,
                    subject_user=self.audit_subject,
                )
        return response


class ReadOnlyPolicyAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """A window on records that change only through their pages and services (so that
    their invariants and audit trail hold): rows as the policy allows, nothing added,
    changed, deleted or bulk-changed here."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}  # no bulk deletion, nor any other bulk change
