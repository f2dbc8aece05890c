"""Admin of the Wel(l)fare LAB: a read-only window, as the access policy allows, on
pathways (with their phases), the findings library, surveys and invitations. They change
only through their services (the survey builder, invitations, answering), so that a
survey's questions stay fixed once open and responses stay unlinkable. Responses and
the tokens' hashes are not shown here."""

from __future__ import annotations

from django.contrib import admin

from legami.admin_policy import ReadOnlyPolicyAdmin
from research.models import Finding, Invitation, Pathway, Phase, Survey


class PhaseInline(admin.TabularInline):
    model = Phase
    fields = ("title", "starts_on", "ends_on")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Pathway)
class PathwayAdmin(ReadOnlyPolicyAdmin):
    list_display = ("title", "theme", "lead", "ambito", "starts_on", "ends_on")
    search_fields = ("title", "theme")
    list_select_related = ("lead", "ambito")
    inlines = (PhaseInline,)


@admin.register(Finding)
class FindingAdmin(ReadOnlyPolicyAdmin):
    list_display = ("title", "kind", "pathway", "author", "created_at")
    list_filter = ("kind", "themes")
    search_fields = ("title", "summary")
    list_select_related = ("pathway", "author")
    exclude = ("file_text",)


@admin.register(Survey)
class SurveyAdmin(ReadOnlyPolicyAdmin):
    list_display = ("title", "owner", "pathway", "status", "anonymous", "opens_at", "closes_at")
    list_filter = ("status", "anonymous")
    search_fields = ("title",)
    list_select_related = ("owner", "pathway")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyPolicyAdmin):
    list_display = ("email", "survey", "organisation", "role", "sent_at", "answered")
    list_filter = ("answered", "role")
    search_fields = ("email", "survey__title")
    list_select_related = ("survey", "organisation")
