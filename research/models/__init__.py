"""Wel(l)fare LAB: research pathways with phases and workshops (``pathway``), the
findings library (``finding``), practitioners' surveys and what they
ask (``survey``), invitations with their mails (``invitation``), and the responses,
which in anonymous mode lead back to nobody (``response``)."""

from research.models.finding import Finding, FindingKind, Theme
from research.models.invitation import Invitation, InvitationMail, InvitationMailKind
from research.models.pathway import Pathway, Phase, Workshop, WorkshopKind
from research.models.response import Answer, Response, ResponseAttribution
from research.models.survey import (
    CHOICE_KINDS,
    CONDITION_KINDS,
    LIKERT_MAX,
    LIKERT_MIN,
    Option,
    Question,
    QuestionKind,
    Section,
    Survey,
    SurveyStatus,
)

__all__ = [
    "CHOICE_KINDS",
    "CONDITION_KINDS",
    "LIKERT_MAX",
    "LIKERT_MIN",
    "Answer",
    "Invitation",
    "InvitationMail",
    "InvitationMailKind",
    "Option",
    "Pathway",
    "Phase",
    "Finding",
    "FindingKind",
    "Theme",
    "Workshop",
    "WorkshopKind",
    "Question",
    "QuestionKind",
    "Response",
    "ResponseAttribution",
    "Section",
    "Survey",
    "SurveyStatus",
]
