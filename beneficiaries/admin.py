"""Admin of the case file: a read-only view of people and cases for those the access
policy lets read them (each opening of a record is logged as a read). Files are changed
only from the case-file pages, through the services, so that every change is checked and
audited in one place."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from beneficiaries.models import Case, CaseAssignment, Person
from legami.admin_policy import PolicyAdminMixin


class ReadOnlyPolicyAdmin(PolicyAdminMixin, admin.ModelAdmin):
    audit_reads = True

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseAssignmentInline(PolicyAdminMixin, admin.TabularInline):
    model = CaseAssignment
    fields = ("worker", "kind", "start", "end")
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # shown inside a case the policy already let the user read

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseAssignment]:
        return CaseAssignment.objects.select_related("worker")


@admin.register(Person)
class PersonAdmin(ReadOnlyPolicyAdmin):
    list_display = ("__str__", "birth_date", "residence_comune", "restricted")
    list_filter = ("restricted",)
    exclude = ("need_tags",)
    readonly_fields = (
        "public_id",
        "first_name",
        "last_name",
        "codice_fiscale",
        "no_codice_fiscale_reason",
        "birth_date",
        "sex",
        "birth_comune",
        "birth_country",
        "residence_comune",
        "restricted",
        "anonymised_at",
        "created_at",
    )
    fields = readonly_fields
    list_select_related = ("residence_comune",)


@admin.register(Case)
class CaseAdmin(ReadOnlyPolicyAdmin):
    list_display = ("__str__", "ambito", "stage", "opened_on", "closed_on")
    list_filter = ("stage", "ambito")
    readonly_fields = (
        "person",
        "organisation",
        "ambito",
        "intake",
        "opened_on",
        "stage",
        "closed_on",
        "closure_reason",
    )
    fields = readonly_fields
    inlines: ClassVar = [CaseAssignmentInline]
    list_select_related = ("person", "organisation", "ambito")
