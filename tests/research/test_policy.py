"""Who sees what of the Wel(l)fare LAB: a researcher their own surveys (and those of the
pathways they lead), network administrators all of them to read, nobody else anything;
researchers reach no person's record. Practitioners answer by link, with no rule."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from legami.policy import Action, allowed, visible_to
from legami.roles import Role
from research.models import Answer, Invitation, Pathway, QuestionKind, Response, Survey
from research.selectors import survey_list
from research.services import invitations_send, pathway_create, response_submit
from tests.research.factories import build_survey, organisation, practitioner, researcher, token_for

pytestmark = pytest.mark.django_db

ONE = [{"code": "q", "text": "N", "kind": QuestionKind.LIKERT}]


def test_each_researcher_sees_their_surveys_and_the_network_admin_reads_all(make_user):
    owner, colleague, lead = researcher(), researcher(), researcher()
    pathway = pathway_create(by=lead, title="Percorso", organisations=[organisation()])
    mine = build_survey(owner, ONE)
    Survey.objects.filter(pk=mine.pk).update(pathway=pathway)
    theirs = build_survey(colleague, ONE)
    admin = make_user(role=Role.NETWORK_ADMIN)
    operator = make_user(role=Role.OPERATOR)

    assert list(survey_list(user=owner)) == [mine]
    assert list(survey_list(user=colleague)) == [theirs]
    assert list(survey_list(user=lead)) == [mine]  # the pathway's lead reads its surveys
    assert set(survey_list(user=admin)) == {mine, theirs}
    assert list(survey_list(user=operator)) == []

    assert allowed(owner, Action.CHANGE, mine)
    assert not allowed(lead, Action.CHANGE, mine)
    assert not allowed(admin, Action.CHANGE, mine)
    assert allowed(owner, Action.EXPORT, mine) and not allowed(admin, Action.EXPORT, mine)


def test_invitations_and_responses_are_for_the_surveys_researcher(make_user):
    owner = researcher()
    survey = build_survey(owner, ONE)
    person = practitioner(organisation())
    [invitation] = invitations_send(survey=survey, by=owner, users=[person])
    response_submit(token=token_for(invitation), answers={"q": 2})

    for resource in (Invitation, Response):
        assert visible_to(owner, resource).count() == 1
        assert visible_to(researcher(), resource).count() == 0
        assert visible_to(make_user(role=Role.NETWORK_ADMIN), resource).count() == 1
        # The practitioner answered by link: no rule gives them the rows.
        assert visible_to(person, resource).count() == 0


def test_researchers_reach_no_persons_record():
    person_resources = ("beneficiaries.person", "beneficiaries.case", "beneficiaries.diarynote")
    someone = researcher()
    for resource in person_resources:
        for action in (Action.LIST, Action.READ, Action.EXPORT):
            assert not allowed(someone, action, resource)


def test_pathways_are_made_by_researchers_and_changed_by_their_lead(make_user):
    lead = researcher()
    pathway = pathway_create(by=lead, title="Vulnerabilità e culture professionali")
    assert allowed(lead, Action.CHANGE, pathway)
    assert not allowed(researcher(), Action.CHANGE, pathway)
    # Practitioners know the pathways (to take part in them); a citizen does not.
    assert visible_to(make_user(role=Role.OPERATOR), Pathway).count() == 1
    assert visible_to(make_user(), Pathway).count() == 0
    assert visible_to(make_user(role=Role.FUNDRAISER), Pathway).count() == 0
    assert visible_to(make_user(role=Role.NETWORK_ADMIN), Pathway).count() == 1


def test_the_database_holds_answers_to_their_invariants():
    """Likert 1–5, one value column, one answer per question per response, even for a
    write that skips the services."""
    survey = build_survey(researcher(), ONE)
    question = survey.questions.get()
    response = Response.objects.create(survey=survey)
    for bad in ({"integer": 6}, {"integer": 0}, {}, {"integer": 3, "text": "x"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Answer.objects.create(response=response, question=question, **bad)
    Answer.objects.create(response=response, question=question, integer=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(response=response, question=question, integer=4)
