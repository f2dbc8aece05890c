"""API of the piano di zona reports, under /api/v1/reports/: the ambiti whose report the
user may read, and one ambito's report (or one comune's) for a period, as JSON.

Figures come only through ``reports.present.show``, as on the pages and in the exports:
a count of people below the threshold is ``null`` with ``hidden: true``, never its raw
value. Numbers are strings, as DRF gives a ``DecimalField``: exact, whatever the unit
("12" people, "37.50" hours, "1250.00" euro, "42.5" per cent). Every report read is
written to the access log (action "api")."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from legami.api_permissions import PolicyPermission, PolicyViewSetMixin
from legami.audit import audit_read
from legami.models import AccessEvent, Ambito, Comune
from legami.policy import Action
from reports.indicators import AREAS, Indicator, Period, Result, Scope, Unit, parse_period
from reports.indicators.base import PERIOD_KINDS
from reports.present import Shown, rounding_for, show
from reports.selectors import RESOURCE, report, report_ambiti, report_comune

AUDIT_PURPOSE = "piano di zona report API"

# --- Serializers -----------------------------------------------------------------------------


def figure_field() -> serializers.DecimalField:
    """A figure: a decimal number as a string, exactly as computed (no rounding), or null
    when it is hidden or there is none."""
    return serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        allow_null=True,
        read_only=True,
        help_text="A decimal number as a string; null when hidden or when there is none.",
    )


class ReportAmbitoSerializer(serializers.Serializer[Any]):
    """An ambito whose report the user may read, and the address of this year's report."""

    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    url = serializers.URLField(read_only=True, help_text="This year's report of the ambito.")


class ReportFilterSerializer(serializers.Serializer[Any]):
    """What a report may be restricted to."""

    comune = serializers.IntegerField(
        required=False, help_text="Id of a comune of the ambito: its figures only."
    )
    area = serializers.ListField(
        child=serializers.ChoiceField(choices=list(AREAS)),
        required=False,
        help_text="Areas to include (repeat the parameter); all when omitted.",
    )


class AmbitoRefSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class ComuneRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class PeriodSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(
        read_only=True, help_text="As in the address: 2026-03, 2026-Q1, 2026 or 2025-2027."
    )
    kind = serializers.CharField(read_only=True, help_text=f"One of: {', '.join(PERIOD_KINDS)}.")
    start = serializers.DateField(read_only=True, help_text="First day (inclusive).")
    end = serializers.DateField(read_only=True, help_text="Last day (inclusive).")


class ReportRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    value = figure_field()
    hidden = serializers.BooleanField(
        read_only=True, help_text="A small count of people, hidden so nobody can be singled out."
    )


class ReportBreakdownSerializer(serializers.Serializer[Any]):
    dimension = serializers.CharField(read_only=True, help_text='E.g. "sex", "age_band".')
    additive = serializers.BooleanField(
        read_only=True, help_text="Whether the rows add up to the indicator's value."
    )
    rows = ReportRowSerializer(many=True, read_only=True)


class ReportIndicatorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    unit = serializers.CharField(read_only=True, help_text=f"One of: {', '.join(Unit)}.")
    value = figure_field()
    hidden = serializers.BooleanField(read_only=True)
    breakdowns = ReportBreakdownSerializer(many=True, read_only=True)


class ReportAreaSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    indicators = ReportIndicatorSerializer(many=True, read_only=True)


class ReportSerializer(serializers.Serializer[Any]):
    """The report of an ambito (or of one of its comuni) for a period."""

    ambito = AmbitoRefSerializer(read_only=True)
    comune = ComuneRefSerializer(read_only=True, allow_null=True)
    period = PeriodSerializer(read_only=True)
    people_rounded_to = serializers.IntegerField(
        read_only=True,
        help_text="1 when counts of people are exact (a whole ambito, a year or a plan); "
        "else 5: they are rounded to the nearest 5, so that set against the ambito's or "
        "the year's figures they cannot reveal a small group.",
    )
    areas = ReportAreaSerializer(many=True, read_only=True)


# --- Building the answer -------------------------------------------------------------------


def _figure(shown: Shown) -> dict[str, Any]:
    return {"value": shown.value, "hidden": shown.hidden}


def indicator_data(indicator: Indicator, result: Result, rounding: int = 1) -> dict[str, Any]:
    """One indicator as shown: its figures through ``show`` only (whether a breakdown
    adds up is a property of the breakdown, not a figure; counts of people rounded as
    ``rounding_for`` says)."""
    shown = show(result, rounding=rounding)
    return {
        "code": indicator.code,
        "title": str(indicator.title),
        "unit": str(shown.unit),
        **_figure(shown.value),
        "breakdowns": [
            {
                "dimension": part.dimension,
                "additive": breakdown.additive,
                "rows": [
                    {"key": key, "label": str(label), **_figure(figure)}
                    for key, label, figure in part.rows
                ],
            }
            for breakdown, part in zip(result.breakdowns, shown.breakdowns, strict=True)
        ],
    }


def report_data(
    ambito: Ambito, comune: Comune | None, period: Period, areas: list[str] | None
) -> dict[str, Any]:
    scope = Scope(ambito.pk, comune.pk if comune else None)
    grouped = report(scope, period, areas=areas)
    rounding = rounding_for(scope, period)
    return {
        "ambito": {"code": ambito.code, "name": ambito.name},
        "comune": {"id": comune.pk, "name": comune.name} if comune else None,
        "people_rounded_to": rounding,
        "period": {
            "code": period.code,
            "kind": period.kind,
            "start": period.start,
            "end": period.end,
        },
        "areas": [
            {
                "code": area,
                "title": str(AREAS[area]),
                "indicators": [indicator_data(i, result, rounding) for i, result in items],
            }
            for area, items in grouped
        ],
    }


# --- Viewset ---------------------------------------------------------------------------------

AMBITO_PARAMETER = OpenApiParameter(
    "ambito_code", OpenApiTypes.STR, OpenApiParameter.PATH, description="Code of the ambito"
)
PERIOD_PARAMETER = OpenApiParameter(
    "period_code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="A month (2026-03), a quarter (2026-Q1), a year (2026) or a three-year "
    "piano di zona (2025-2027).",
)


@extend_schema_view(
    list=extend_schema(responses=ReportAmbitoSerializer(many=True)),
    retrieve=extend_schema(
        parameters=[AMBITO_PARAMETER, PERIOD_PARAMETER, ReportFilterSerializer],
        responses=ReportSerializer,
    ),
)
class ReportViewSet(PolicyViewSetMixin, viewsets.ViewSet):
    """The piano di zona reports: ambito administrators and service coordinators read
    their ambiti's, network administrators every ambito's. Counts of people below 5 are
    hidden (null, ``hidden`` true); numbers are decimal strings."""

    policy_resource = RESOURCE

    def get_permissions(self) -> list[BasePermission]:
        # A method the endpoint does not answer (no action) is refused as such, 405, to
        # whoever is logged in: there is no policy action to ask about.
        permissions = super().get_permissions()
        if getattr(self, "action", None) is None:
            return [p for p in permissions if not isinstance(p, PolicyPermission)]
        return permissions

    def list(self, request: Request) -> Response:
        year = str(timezone.localdate().year)
        rows = [
            {
                "code": ambito.code,
                "name": ambito.name,
                "url": reverse(
                    "report-detail",
                    kwargs={"ambito_code": ambito.code, "period_code": year},
                    request=request,
                ),
            }
            for ambito in report_ambiti(request.user, Action.LIST)
        ]
        return Response(ReportAmbitoSerializer(rows, many=True).data)

    def retrieve(self, request: Request, ambito_code: str, period_code: str) -> Response:
        # As ``selectors.report_scope``, taken apart: an ambito the user may not read is
        # not found (404), a comune that is not one of its own is bad input (400), and
        # the answer names both.
        ambito = report_ambiti(request.user, Action.READ).filter(code=ambito_code).first()
        if ambito is None:
            raise Http404
        try:
            period = parse_period(period_code)
        except ValueError as exc:
            raise serializers.ValidationError(
                {"period": [gettext("Not a period: write 2026-03, 2026-Q1, 2026 or 2025-2027.")]}
            ) from exc
        form = ReportFilterSerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        comune = None
        if "comune" in form.validated_data:
            comune = report_comune(ambito, form.validated_data["comune"])
            if comune is None:
                raise serializers.ValidationError(
                    {"comune": [gettext("Not a comune of this ambito.")]}
                )
        data = report_data(ambito, comune, period, form.validated_data.get("area") or None)
        audit_read(objs=[ambito], action=AccessEvent.Action.API, purpose=AUDIT_PURPOSE)
        return Response(ReportSerializer(data).data)
