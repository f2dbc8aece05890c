"""Responses to a survey and their answers.

A ``Response`` holds nothing about who gave it, in either mode: a random UUID for key
(no serial number whose order follows the invitations), its survey, and no time at all.
In a named survey the link to the respondent lives in a separate row,
``ResponseAttribution`` (the invitation and the moment of submission); an anonymous
survey never writes one, so the link does not exist anywhere in the database.
``Answer`` rows are keyed by random UUIDs too. Closing an anonymous survey rewrites its
responses in random order (``research.services.responses.responses_shuffle``) so that
not even the storage order or the row versions tell which came first.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research.models.invitation import Invitation
from research.models.survey import LIKERT_MAX, LIKERT_MIN, Question, Survey


class Response(models.Model):
    """One completed questionnaire."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), related_name="responses", on_delete=models.CASCADE
    )

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        # No natural order: nothing stored says which response came first.
        ordering: ClassVar = ["id"]

    def __str__(self) -> str:
        return str(self.id)


class ResponseAttribution(models.Model):
    """Who gave a response of a named (not anonymous) survey, and when."""

    response = models.OneToOneField(
        Response, primary_key=True, related_name="attribution", on_delete=models.CASCADE
    )
    invitation = models.OneToOneField(
        Invitation, related_name="attribution", on_delete=models.PROTECT
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)

    class Meta:
        verbose_name = _("response attribution")
        verbose_name_plural = _("response attributions")

    def __str__(self) -> str:
        return f"{self.response_id} · {self.invitation}"


_ONE_VALUE = (
    Q(choices__isnull=False, integer__isnull=True, number__isnull=True, text__isnull=True)
    | Q(choices__isnull=True, integer__isnull=False, number__isnull=True, text__isnull=True)
    | Q(choices__isnull=True, integer__isnull=True, number__isnull=False, text__isnull=True)
    | Q(choices__isnull=True, integer__isnull=True, number__isnull=True, text__isnull=False)
)


class Answer(models.Model):
    """The answer to one question in one response, in the column of its kind: the
    chosen option codes (single and multiple choice, a JSON list), an integer (Likert
    1–5), a decimal (number) or text (short and long text). Questions left unanswered,
    or not shown, have no row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(
        Response, verbose_name=_("response"), related_name="answers", on_delete=models.CASCADE
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), related_name="answers", on_delete=models.PROTECT
    )
    choices = models.JSONField(_("chosen options"), null=True, blank=True)
    integer = models.SmallIntegerField(_("scale value"), null=True, blank=True)
    number = models.DecimalField(
        _("number"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    text = models.TextField(_("text"), null=True, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering: ClassVar = ["question__section__order", "question__order"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["response", "question"], name="research_answer_one_per_question"
            ),
            models.CheckConstraint(condition=_ONE_VALUE, name="research_answer_one_value"),
            models.CheckConstraint(
                condition=Q(integer__isnull=True)
                | Q(integer__gte=LIKERT_MIN, integer__lte=LIKERT_MAX),
                name="research_answer_likert_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value}"

    @property
    def value(self) -> object:
        for name in ("choices", "integer", "number", "text"):
            if getattr(self, name) is not None:
                return getattr(self, name)
        return None
