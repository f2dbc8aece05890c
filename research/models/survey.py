"""A practitioners' survey and what it asks: sections, questions (with skip logic) and
the options of choice questions. The builder changes them only while the survey is a
draft (``research.services.surveys``)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research.models.pathway import Pathway

LIKERT_MIN = 1
LIKERT_MAX = 5


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class Survey(models.Model):
    """A questionnaire for practitioners of the network, answered through the unique
    link of an invitation. ``anonymous`` is chosen while drafting and fixed once the
    survey opens: anonymous responses keep nothing that leads back to the respondent."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        related_name="research_surveys",
        on_delete=models.PROTECT,
    )
    pathway = models.ForeignKey(
        Pathway,
        verbose_name=_("research pathway"),
        related_name="surveys",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    anonymous = models.BooleanField(
        _("anonymous"),
        default=True,
        help_text=_("Responses cannot be linked to who gave them. Fixed once the survey opens."),
    )
    opens_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reminder_round = models.PositiveSmallIntegerField(_("reminder rounds sent"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering: ClassVar = ["-created_at", "title"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=SurveyStatus.values),
                name="research_survey_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=SurveyStatus.DRAFT) | Q(opens_at__isnull=False),
                name="research_survey_opened_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=SurveyStatus.CLOSED) | Q(closed_at__isnull=False),
                name="research_survey_closed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True)
                | Q(opens_at__isnull=True)
                | Q(closes_at__gt=F("opens_at")),
                name="research_survey_closes_after_opening",
                violation_error_message=_("A survey cannot close before it opens."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def accepts_answers(self, now: dt.datetime | None = None) -> bool:
        """Open, and its closing time (if any) not passed."""
        at = now or timezone.now()
        return self.status == SurveyStatus.OPEN and (self.closes_at is None or self.closes_at > at)


class Section(models.Model):
    """A part of a survey, shown with its questions in ``order``."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), related_name="sections", on_delete=models.CASCADE
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering: ClassVar = ["survey", "order", "pk"]

    def __str__(self) -> str:
        return self.title or f"§{self.order}"


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("single choice")
    MULTIPLE = "multiple", _("multiple choice")
    LIKERT = "likert", _("Likert scale 1–5")
    NUMBER = "number", _("number")
    SHORT_TEXT = "short_text", _("short text")
    LONG_TEXT = "long_text", _("long text")


CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE})
# Kinds whose answer can decide whether a later question is shown.
CONDITION_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.LIKERT})


class Question(models.Model):
    """A question of a survey. ``code`` (unique in the survey) heads its column in the
    exports. Skip logic: with ``show_if_question`` set (an earlier question of the same
    survey), the question is shown only when that question's answer is one of
    ``show_if_values`` (option codes, or Likert values as strings "1"–"5"); a multiple
    choice answer shows it when any chosen option is among them."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), related_name="questions", on_delete=models.CASCADE
    )
    section = models.ForeignKey(
        Section, verbose_name=_("section"), related_name="questions", on_delete=models.CASCADE
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    code = models.SlugField(
        _("code"),
        max_length=40,
        help_text=_("Short name of the question, used as column header in the exports."),
    )
    text = models.CharField(_("question"), max_length=500)
    help = models.CharField(_("help text"), max_length=500, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=12, choices=QuestionKind.choices)
    required = models.BooleanField(_("required"), default=False)
    show_if_question = models.ForeignKey(
        "self",
        verbose_name=_("show only if the answer to"),
        related_name="dependent_questions",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    show_if_values = models.JSONField(_("is one of"), default=list, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering: ClassVar = ["section__order", "section_id", "order", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["survey", "code"],
                name="research_question_code_unique",
                violation_error_message=_("Another question of this survey has this code."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=QuestionKind.values), name="research_question_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(show_if_question__isnull=True) | ~Q(show_if_question=F("pk")),
                name="research_question_not_own_condition",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text[:60]}"


class Option(models.Model):
    """A possible answer of a single or multiple choice question."""

    question = models.ForeignKey(
        Question, verbose_name=_("question"), related_name="options", on_delete=models.CASCADE
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("label"), max_length=200)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering: ClassVar = ["question", "order", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["question", "code"],
                name="research_option_code_unique",
                violation_error_message=_("Another option of this question has this code."),
            ),
        ]

    def __str__(self) -> str:
        return self.label
