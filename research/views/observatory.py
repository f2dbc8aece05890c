"""The vulnerability observatory (/research/osservatorio/): anonymised indicators drawn
from case files, for researchers and policy makers. Counts only, small cells suppressed
(research.observatory); no person, no link to a case file."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from legami.policy import Action, require
from partners.forms import Styled
from research import observatory as obs

RESOURCE = "research.observatory"


class ObservatoryForm(Styled):
    dimension = forms.ChoiceField(label=_("New intakes by"), choices=obs.DIMENSIONS)
    months = forms.ChoiceField(label=_("Period"), choices=obs.PERIODS)


@login_required
@require_GET
def observatory(request: HttpRequest) -> HttpResponse:
    """The tables of the observatory, for the dimension and period chosen (GET)."""
    require(request.user, Action.READ, RESOURCE)
    data = {
        "dimension": request.GET.get("dimension") or obs.DIMENSIONS[0][0],
        "months": request.GET.get("months") or obs.PERIODS[0][0],
    }
    form = ObservatoryForm(data)
    if not form.is_valid():
        return render(request, "research/observatory.html", {"form": form}, status=400)
    return render(
        request,
        "research/observatory.html",
        {
            "form": form,
            "data": obs.observatory(
                dimension=form.cleaned_data["dimension"],
                months=int(form.cleaned_data["months"]),
                today=timezone.localdate(),
            ),
            "threshold": obs.THRESHOLD,
        },
    )


urlpatterns: list[URLPattern] = [
    path("osservatorio/", observatory, name="observatory"),
]
