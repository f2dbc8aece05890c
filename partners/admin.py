"""Admin of the partners app: the network's organisations and the people acting for them."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import ManyToManyField, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from partners.models import Membership, Organisation


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "role", "start_date", "end_date")
    autocomplete_fields = ("user",)
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "organisation")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "ambiti_served", "is_funder", "is_active")
    list_filter = ("kind", "ambiti", "is_funder", "is_active")
    search_fields = ("name", "slug", "tax_code", "email")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (MembershipInline,)
    formfield_overrides: ClassVar = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "ambiti", "is_funder", "is_active")}),
        (_("Contacts"), {"fields": ("tax_code", "address", "email", "phone", "website")}),
        (None, {"fields": ("member_since",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        return super().get_queryset(request).prefetch_related("ambiti")

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        if db_field.name == "ambiti":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("ambiti served"))
    def ambiti_served(self, obj: Organisation) -> str:
        return ", ".join(a.name for a in obj.ambiti.all())


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "start_date", "end_date")
    list_filter = ("role", "organisation__kind", "organisation")
    list_select_related = ("user", "organisation")
    search_fields = ("user__email", "user__first_name", "user__last_name", "organisation__name")
    autocomplete_fields = ("user", "organisation")
    date_hierarchy = "start_date"
    ordering = ("organisation__name", "role", "user__email")
