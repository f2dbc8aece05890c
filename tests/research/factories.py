"""Researchers, practitioners and surveys for tests. A survey's questions are built
through the builder's services (``build_survey``), so that tests go through the same
checks as the pages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import factory
from django.core import mail
from factory.django import DjangoModelFactory

from legami.roles import Role
from research.models import Invitation, Pathway, Question, Survey
from research.services import (
    invitation_mail_send,
    option_add,
    question_add,
    survey_create,
    survey_open,
)
from tests.legami.factories import UserFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

TOKEN_IN_LINK = re.compile(r"/rispondi/([A-Za-z0-9_\-]+)/")


class PathwayFactory(DjangoModelFactory[Pathway]):
    class Meta:
        model = Pathway

    title = factory.Sequence(lambda n: f"Percorso {n}")
    theme = "Nuove vulnerabilità"
    lead = factory.SubFactory(UserFactory)


def researcher(**kwargs: Any) -> Any:
    """A person holding the researcher role at a university-like organisation, who reads
    the interface in English (as the research tests do)."""
    kwargs.setdefault("user__language", "en")
    return MembershipFactory(role=Role.RESEARCHER, **kwargs).user


def practitioner(organisation: Any, role: str = Role.OPERATOR, **kwargs: Any) -> Any:
    """A person working at ``organisation`` in ``role`` (current membership)."""
    return MembershipFactory(organisation=organisation, role=role, **kwargs).user


def organisation(**kwargs: Any) -> Any:
    return OrganisationFactory(**kwargs)


def build_survey(
    owner: Any,
    questions: Sequence[dict[str, Any]],
    *,
    anonymous: bool = True,
    open_it: bool = True,
    title: str = "Culture professionali",
) -> Survey:
    """A survey of ``owner`` with ``questions`` in its first section, each a dict of
    ``question_add`` arguments plus ``options`` (codes; labels are made up) and
    ``show_if`` (the code of an earlier question); opened unless ``open_it`` is False."""
    survey = survey_create(by=owner, title=title, anonymous=anonymous)
    section = survey.sections.get()
    made: dict[str, Question] = {}
    for spec in questions:
        spec = dict(spec)
        options = spec.pop("options", ())
        show_if = spec.pop("show_if", None)
        question = question_add(
            section=section,
            by=owner,
            show_if_question=made[show_if] if show_if else None,
            **spec,
        )
        for code in options:
            option_add(question=question, by=owner, code=code, label=code.title())
        made[question.code] = question
    if open_it:
        survey = survey_open(survey=survey, by=owner)
    return survey


def token_for(invitation: Invitation, kind: str = "invitation", round: int = 0) -> str:
    """Send ``invitation``'s mail and read the token back from its link, as the person
    would open it."""
    before = len(mail.outbox)
    assert invitation_mail_send(invitation_id=invitation.pk, kind=kind, round=round)
    match = TOKEN_IN_LINK.search(mail.outbox[before].body)
    assert match is not None, mail.outbox[before].body
    return match.group(1)


def last_token(invitation: Invitation) -> str:
    """The token of the last mail sent to ``invitation``'s address."""
    body = [m for m in mail.outbox if m.to == [invitation.email]][-1].body
    match = TOKEN_IN_LINK.search(body)
    assert match is not None, body
    return match.group(1)


def response_given(
    survey: Survey,
    answers: dict[str, Any],
    *,
    organisation: Any = None,
    role: str = "",
) -> Any:
    """A response to ``survey`` with ``answers`` (question code → raw value), written as
    ``response_submit`` writes it (checked by ``answers_clean``) without mail or token:
    for results tests that need many responses. A named survey gets an invitation (in
    ``role`` at ``organisation``) and the response's attribution."""
    from django.utils import timezone

    from research.models import Answer, Response, ResponseAttribution
    from research.services.responses import answers_clean
    from research.services.surveys import survey_questions

    cleaned = answers_clean(questions=survey_questions(survey), answers=answers)
    response = Response.objects.create(survey=survey)
    Answer.objects.bulk_create(
        [Answer(response=response, question=c.question, **{c.column: c.value}) for c in cleaned]
    )
    if not survey.anonymous:
        n = Invitation.objects.filter(survey=survey).count()
        invitation = Invitation.objects.create(
            survey=survey,
            email=f"respondent{n}-{response.pk.hex[:8]}@example.org",
            organisation=organisation,
            role=role,
            answered=True,
            answered_on=timezone.localdate(),
        )
        ResponseAttribution.objects.create(response=response, invitation=invitation)
    return response
