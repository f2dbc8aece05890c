"""Every change of the Wel(l)fare LAB's state: pathways (``pathways``), surveys and their
builder (``surveys``), invitations and reminders (``invitations``), answering
(``responses``)."""

from research.services.invitations import (
    invitation_mail_send,
    invitations_send,
    reminders_send,
)
from research.services.pathways import pathway_create
from research.services.responses import (
    answers_clean,
    invitation_from_token,
    response_submit,
    responses_shuffle,
    shown_questions,
)
from research.services.surveys import (
    UNSET,
    option_add,
    option_change,
    option_delete,
    option_reorder,
    question_add,
    question_change,
    question_delete,
    question_reorder,
    section_add,
    section_change,
    section_delete,
    section_reorder,
    survey_close,
    survey_create,
    survey_open,
    survey_problems,
    survey_questions,
    survey_update,
    surveys_close_due,
)

__all__ = [
    "UNSET",
    "answers_clean",
    "invitation_from_token",
    "invitation_mail_send",
    "invitations_send",
    "option_add",
    "option_change",
    "option_delete",
    "option_reorder",
    "pathway_create",
    "question_add",
    "question_change",
    "question_delete",
    "question_reorder",
    "reminders_send",
    "response_submit",
    "responses_shuffle",
    "section_add",
    "section_change",
    "section_delete",
    "section_reorder",
    "shown_questions",
    "survey_close",
    "survey_create",
    "survey_open",
    "survey_problems",
    "survey_questions",
    "survey_update",
    "surveys_close_due",
]
