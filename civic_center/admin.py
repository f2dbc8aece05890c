"""Admin of the Civic Center: network administrators edit the service catalogue here
(the access policy's ``civic_center.servicecategory``); offers, demand and agreements
are read-only through the policy, and change only through their pages and services, so
that prices, groups and the audit trail hold. Demand rows (identities) are shown only
to who the policy lets read them, and each opening is logged."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civic_center.models import Agreement, Demand, MatchingRun, Offer, ServiceCategory
from legami.admin_policy import PolicyAdminMixin, ReadOnlyPolicyAdmin


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(PolicyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "name_en", "unit", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active", "unit")
    search_fields = ("name", "name_en", "code")
    prepopulated_fields = {"code": ("name",)}  # noqa: RUF012

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a category in use is retired (not active), never deleted


@admin.register(Offer)
class OfferAdmin(ReadOnlyPolicyAdmin):
    list_display = ("title", "organisation", "category", "status", "valid_from", "valid_until")
    list_filter = ("status", "category")
    search_fields = ("title", "organisation__name")
    list_select_related = ("organisation", "category")
    exclude = ("comuni",)


@admin.register(Demand)
class DemandAdmin(ReadOnlyPolicyAdmin):
    audit_reads = True
    list_display = ("pseudonym", "category", "comune", "status", "created_at")
    list_filter = ("status", "category")
    list_select_related = ("category", "comune")

    def audit_subject(self, obj: Demand) -> Any:
        return obj.family


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyPolicyAdmin):
    list_display = ("offer", "status", "group_size", "unit_price", "start_date", "end_date")
    list_filter = ("status",)
    list_select_related = ("offer",)


@admin.register(MatchingRun)
class MatchingRunAdmin(ReadOnlyPolicyAdmin):
    list_display = ("ambito", "category", "status", "families_matched", "created_at")
    list_filter = ("status", "ambito")
    list_select_related = ("ambito", "category")
