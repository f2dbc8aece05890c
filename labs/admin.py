"""Admin of the labs app: a read-only view of labs and meetings through the access
policy (the lab's runners see theirs). Labs, meetings, attendance and minutes change only
through the facilitators' pages and their services (``labs.services.meetings``), so that
the seat count, the waiting list and the audit trail hold; registrations, which name
people, are not shown here."""

from __future__ import annotations

from django.contrib import admin

from labs.models import Lab, Meeting
from legami.admin_policy import ReadOnlyPolicyAdmin


@admin.register(Lab)
class LabAdmin(ReadOnlyPolicyAdmin):
    list_display = ("title", "ambito", "context", "status", "created_at")
    list_filter = ("status", "context", "ambito")
    search_fields = ("title", "slug")
    list_select_related = ("ambito",)
    fields = (
        "title",
        "slug",
        "context",
        "ambito",
        "comuni",
        "facilitators",
        "organisations",
        "description",
        "status",
        "created_at",
    )
    readonly_fields = fields


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyPolicyAdmin):
    list_display = ("title", "lab", "starts_at", "status", "capacity", "seats_taken")
    list_filter = ("status",)
    search_fields = ("title", "lab__title")
    list_select_related = ("lab",)
    date_hierarchy = "starts_at"
    fields = (
        "lab",
        "title",
        "starts_at",
        "ends_at",
        "place",
        "address",
        "comune",
        "accessibility",
        "online_url",
        "capacity",
        "reserved_seats",
        "seats_taken",
        "registration_opens_at",
        "registration_closes_at",
        "agenda",
        "status",
        "summary",
        "organisations_present",
        "closed_at",
        "closed_by",
    )
    readonly_fields = fields
