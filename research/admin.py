"""Admin of the Wel(l)fare LAB: a read-only window, as the access policy allows, on
pathways, surveys and invitations. They change only through their services (the survey
builder, invitations, answering), so that a survey's questions stay fixed once open and
responses stay unlinkable. Responses and the tokens' hashes are not shown here."""

from __future__ import annotations

from django.contrib import admin

from legami.admin_policy import ReadOnlyPolicyAdmin
from research.models import Invitation, Pathway, Survey


@admin.register(Pathway)
class PathwayAdmin(ReadOnlyPolicyAdmin):
    list_display = ("title", "theme", "lead", "starts_on", "ends_on")
    search_fields = ("title", "theme")
    list_select_related = ("lead",)


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
