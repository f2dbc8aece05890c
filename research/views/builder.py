"""The researchers' survey pages, under /research/questionari/: the surveys they run
(with status and response rate), a new survey, and the builder of one survey (sections
and questions in order, skip logic, preview, open and close, invitations, reminders,
the response rate per organisation).

Who: researchers (policy ``research.survey``). A role with no survey rule is refused
(403); a survey the person may not change is not revealed (404; network administrators
and pathway leads read the builder page without its buttons). Every change goes through
research.services; a refusal comes back on the page, status 400, nothing changed.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from legami.forms import add_service_errors
from legami.models import User
from legami.policy import Action, scope, visible_to
from research import selectors, services
from research.forms import InviteForm, OpenForm, QuestionForm, SectionForm, SurveyForm
from research.models import CHOICE_KINDS, Question, Section, Survey, SurveyStatus

# --- Helpers ------------------------------------------------------------------------------


def me(request: HttpRequest) -> User:
    """The person logged in (the views below require a login)."""
    return cast(User, request.user)


def require_researcher(request: HttpRequest) -> None:
    if scope(request.user, Action.LIST, Survey) is False:
        raise PermissionDenied


def survey_or_404(request: HttpRequest, pk: int, action: str = Action.CHANGE) -> Survey:
    require_researcher(request)
    survey = (
        visible_to(request.user, Survey, action)
        .select_related("owner", "pathway")
        .filter(pk=pk)
        .first()
    )
    if survey is None:
        raise Http404(gettext("No such survey, or it is not yours."))
    return survey


def can_change(user: Any, survey: Survey) -> bool:
    return visible_to(user, Survey, Action.CHANGE).filter(pk=survey.pk).exists()


def section_or_404(survey: Survey, section_id: int) -> Section:
    section = Section.objects.filter(survey=survey, pk=section_id).select_related("survey").first()
    if section is None:
        raise Http404(gettext("No such section."))
    return section


def question_or_404(survey: Survey, question_id: int) -> Question:
    question = (
        Question.objects.filter(survey=survey, pk=question_id)
        .select_related("survey", "section", "show_if_question")
        .prefetch_related("options")
        .first()
    )
    if question is None:
        raise Http404(gettext("No such question."))
    return question


def to_builder(survey: Survey) -> HttpResponse:
    return redirect("research:survey_detail", pk=survey.pk)


def builder_context(request: HttpRequest, survey: Survey, **extra: Any) -> dict[str, Any]:
    questions = services.survey_questions(survey)
    sections = list(survey.sections.order_by("order", "pk"))
    by_section: dict[int, list[Question]] = {s.pk: [] for s in sections}
    for question in questions:
        by_section.setdefault(question.section_id, []).append(question)
    for section in sections:
        section.question_list = by_section.get(section.pk, [])  # type: ignore[attr-defined]
    editable = can_change(request.user, survey)
    draft = survey.status == SurveyStatus.DRAFT
    rates = selectors.response_rate(user=request.user, survey=survey)
    context: dict[str, Any] = {
        "survey": survey,
        "sections": sections,
        "editable": editable,
        "draft": draft,
        "problems": services.survey_problems(survey) if draft else [],
        "rates": rates,
        "invited": sum(r.invited for r in rates),
        "answered": sum(r.answered for r in rates),
        "open_form": OpenForm(),
        "section_form": SectionForm(),
        "action_errors": [],
        "choice_kinds": CHOICE_KINDS,
    }
    context.update(extra)
    return context


def builder_page(request: HttpRequest, survey: Survey, status: int = 200, **extra: Any):
    return render(
        request,
        "research/builder_detail.html",
        builder_context(request, survey, **extra),
        status=status,
    )


def messages_of(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


# --- Surveys ------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET"])
def survey_list(request: HttpRequest) -> HttpResponse:
    require_researcher(request)
    surveys = list(selectors.survey_list(user=request.user))
    for survey in surveys:
        survey.rate = (survey.answered / survey.invited) if survey.invited else None  # type: ignore[attr-defined]
    can_create = scope(request.user, Action.CREATE, Survey) is not False
    return render(
        request, "research/builder_list.html", {"surveys": surveys, "can_create": can_create}
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest) -> HttpResponse:
    if scope(request.user, Action.CREATE, Survey) is False:
        raise PermissionDenied
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = services.survey_create(
                by=me(request),
                title=data["title"],
                description=data["description"],
                anonymous=data["anonymous"],
                pathway=data["pathway"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("Survey created: now add its questions."))
            return to_builder(survey)
    status = 400 if form.is_bound else 200
    return render(request, "research/builder_survey_form.html", {"form": form}, status=status)


@never_cache
@login_required
@require_http_methods(["GET"])
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = survey_or_404(request, pk, Action.READ)
    return builder_page(request, survey)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    survey = survey_or_404(request, pk)
    initial = {
        "title": survey.title,
        "description": survey.description,
        "anonymous": survey.anonymous,
        "pathway": survey.pathway,
    }
    form = SurveyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.survey_update(
                survey=survey,
                by=me(request),
                title=data["title"],
                description=data["description"],
                anonymous=data["anonymous"],
                pathway=data["pathway"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("Survey saved."))
            return to_builder(survey)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "research/builder_survey_form.html",
        {"form": form, "survey": survey},
        status=status,
    )


@never_cache
@login_required
@require_POST
def survey_open(request: HttpRequest, pk: int) -> HttpResponse:
    survey = survey_or_404(request, pk)
    form = OpenForm(request.POST)
    if form.is_valid():
        try:
            services.survey_open(
                survey=survey, by=me(request), closes_at=form.cleaned_data["closes_at"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The survey is open: send the invitations."))
            return to_builder(survey)
    return builder_page(request, survey, status=400, open_form=form)


@never_cache
@login_required
@require_POST
def survey_close(request: HttpRequest, pk: int) -> HttpResponse:
    survey = survey_or_404(request, pk)
    try:
        services.survey_close(survey=survey, by=me(request))
    except ValidationError as exc:
        return builder_page(request, survey, status=400, action_errors=messages_of(exc))
    messages.success(request, gettext("The survey is closed: no more answers."))
    return to_builder(survey)


# --- Sections -----------------------------------------------------------------------------


@never_cache
@login_required
@require_POST
def section_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = survey_or_404(request, pk)
    form = SectionForm(request.POST)
    if form.is_valid():
        try:
            services.section_add(survey=survey, by=me(request), title=form.cleaned_data["title"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("Section added."))
            return to_builder(survey)
    return builder_page(request, survey, status=400, section_form=form)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, pk: int, section_id: int) -> HttpResponse:
    survey = survey_or_404(request, pk)
    section = section_or_404(survey, section_id)
    form = SectionForm(
        request.POST if request.method == "POST" else None, initial={"title": section.title}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.section_change(
                section=section, by=me(request), title=form.cleaned_data["title"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("Section saved."))
            return to_builder(survey)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "research/builder_section_form.html",
        {"form": form, "survey": survey, "section": section},
        status=status,
    )


@never_cache
@login_required
@require_POST
def section_delete(request: HttpRequest, pk: int, section_id: int) -> HttpResponse:
    survey = survey_or_404(request, pk)
    section = section_or_404(survey, section_id)
    try:
        services.section_delete(section=section, by=me(request))
    except ValidationError as exc:
        return builder_page(request, survey, status=400, action_errors=messages_of(exc))
    messages.success(request, gettext("Section removed."))
    return to_builder(survey)


def moved(ids: list[int], pk: int, direction: str) -> list[int] | None:
    """``ids`` with ``pk`` one place up or down (None: it cannot move that way)."""
    at = ids.index(pk)
    to = at - 1 if direction == "up" else at + 1
    if direction not in ("up", "down") or not 0 <= to < len(ids):
        return None
    ids = list(ids)
    ids[at], ids[to] = ids[to], ids[at]
    return ids


def _direction(request: HttpRequest) -> str:
    direction = request.POST.get("direction", "")
    return direction if direction in ("up", "down") else ""


@never_cache
@login_required
@require_POST
def section_move(request: HttpRequest, pk: int, section_id: int) -> HttpResponse:
    """Move a section one place up or down (a form button; works without JavaScript)."""
    survey = survey_or_404(request, pk)
    section = section_or_404(survey, section_id)
    ids = list(survey.sections.order_by("order", "pk").values_list("pk", flat=True))
    order = moved(ids, section.pk, _direction(request))
    if order is None:
        error = gettext("This section cannot move that way.")
        return builder_page(request, survey, status=400, action_errors=[error])
    try:
        services.section_reorder(survey=survey, by=me(request), section_ids=order)
    except ValidationError as exc:
        return builder_page(request, survey, status=400, action_errors=messages_of(exc))
    messages.success(request, gettext("Section moved."))
    return to_builder(survey)


# --- Questions ----------------------------------------------------------------------------

OPTION_FIELDS = {"label": "options"}


def _save_options(question: Question, by: Any, options: list[tuple[str, str]]) -> None:
    """Make the options of ``question`` those given (by code): labels changed, new ones
    added, missing ones removed, in the order given."""
    existing = {o.code: o for o in question.options.all()}
    wanted = dict(options)
    for code, option in existing.items():
        if code not in wanted:
            services.option_delete(option=option, by=by)
    ordered = []
    for code, label in options:
        found = existing.get(code)
        if found is None:
            found = services.option_add(question=question, by=by, code=code, label=label)
        elif found.label != label:
            found = services.option_change(option=found, by=by, label=label)
        ordered.append(found.pk)
    current = list(question.options.order_by("order", "pk").values_list("pk", flat=True))
    if current != ordered:
        services.option_reorder(question=question, by=by, option_ids=ordered)


def _options_error(exc: ValidationError) -> ValidationError:
    """An option's refusal, shown under the options field."""
    if hasattr(exc, "error_dict"):
        return ValidationError({"options": [e for errs in exc.error_dict.values() for e in errs]})
    return exc


def _question_form_page(
    request: HttpRequest, survey: Survey, form: QuestionForm, **extra: Any
) -> HttpResponse:
    status = 400 if form.is_bound else 200
    return render(
        request,
        "research/builder_question_form.html",
        {"form": form, "survey": survey, **extra},
        status=status,
    )


def _condition(form: QuestionForm) -> tuple[Question | None, list[str]]:
    data = form.cleaned_data
    show_if = data["show_if_question"]
    return show_if, (data["show_if_values"] if show_if else [])


def _save_question(form: QuestionForm, save: Any, *, by: Any) -> Question:
    """Save a question from the builder's form in one transaction: ``save(fields)`` (the
    service adding or changing it), then its options (choice questions only; options
    given for another kind are refused under the options field)."""
    data = form.cleaned_data
    show_if, values = _condition(form)
    with transaction.atomic():
        question = save(
            {
                "code": data["code"],
                "text": data["text"],
                "kind": data["kind"],
                "required": data["required"],
                "help": data["help"],
                "show_if_question": show_if,
                "show_if_values": values,
            }
        )
        if data["options"] and data["kind"] not in CHOICE_KINDS:
            raise ValidationError({"options": gettext("Only choice questions have options.")})
        if data["kind"] in CHOICE_KINDS:
            try:
                _save_options(question, by, data["options"])
            except ValidationError as exc:
                raise _options_error(exc) from None
    return question


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def question_add(request: HttpRequest, pk: int, section_id: int) -> HttpResponse:
    survey = survey_or_404(request, pk)
    section = section_or_404(survey, section_id)
    form = QuestionForm(request.POST if request.method == "POST" else None, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            _save_question(
                form,
                lambda fields: services.question_add(section=section, by=me(request), **fields),
                by=me(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("Question added."))
            return to_builder(survey)
    return _question_form_page(request, survey, form, section=section)


@never_cache
@login_required
@require_POST
def question_move(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    """Move a question one place up or down within its section. A condition left
    pointing at a later question is shown among the problems that keep the survey
    from opening."""
    survey = survey_or_404(request, pk)
    question = question_or_404(survey, question_id)
    ids = list(
        Question.objects.filter(section=question.section)
        .order_by("order", "pk")
        .values_list("pk", flat=True)
    )
    order = moved(ids, question.pk, _direction(request))
    if order is None:
        error = gettext("This question cannot move that way.")
        return builder_page(request, survey, status=400, action_errors=[error])
    try:
        services.question_reorder(section=question.section, by=me(request), question_ids=order)
    except ValidationError as exc:
        return builder_page(request, survey, status=400, action_errors=messages_of(exc))
    messages.success(request, gettext("Question moved."))
    return to_builder(survey)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    survey = survey_or_404(request, pk)
    question = question_or_404(survey, question_id)
    initial = {
        "kind": question.kind,
        "code": question.code,
        "text": question.text,
        "help": question.help,
        "required": question.required,
        "options": "\n".join(f"{o.code}|{o.label}" for o in question.options.all()),
        "show_if_question": question.show_if_question,
        "show_if_values": ", ".join(question.show_if_values or []),
    }
    form = QuestionForm(
        request.POST if request.method == "POST" else None,
        survey=survey,
        question=question,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            _save_question(
                form,
                lambda fields: services.question_change(
                    question=question, by=me(request), **fields
                ),
                by=me(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("Question saved."))
            return to_builder(survey)
    return _question_form_page(request, survey, form, question=question, section=question.section)


@never_cache
@login_required
@require_POST
def question_delete(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    survey = survey_or_404(request, pk)
    question = question_or_404(survey, question_id)
    try:
        services.question_delete(question=question, by=me(request))
    except ValidationError as exc:
        return builder_page(request, survey, status=400, action_errors=messages_of(exc))
    messages.success(request, gettext("Question removed."))
    return to_builder(survey)


# --- Preview ------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def survey_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The survey as a practitioner sees it. Sending the form checks the answers as the
    real page would, and saves nothing."""
    from research.views.answer import answer_context, answers_from

    survey = survey_or_404(request, pk, Action.READ)
    questions = services.survey_questions(survey)
    errors: dict[str, list[str]] = {}
    checked = False
    answers: dict[str, Any] = {}
    if request.method == "POST":
        answers = answers_from(request.POST, questions)
        try:
            services.answers_clean(questions=questions, answers=answers)
        except ValidationError as exc:
            errors = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        else:
            checked = True
    context = answer_context(survey, questions, answers, errors)
    context.update({"preview": True, "checked": checked})
    return render(request, "research/answer_form.html", context, status=400 if errors else 200)


# --- Invitations and reminders -----------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def invitations(request: HttpRequest, pk: int) -> HttpResponse:
    survey = survey_or_404(request, pk)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.invitations_send(
                survey=survey,
                by=me(request),
                organisations=form.cleaned_data["organisations"],
                roles=form.cleaned_data["roles"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", len(created))
                % {"count": len(created)},
            )
            return to_builder(survey)
    status = 400 if form.is_bound else 200
    return render(
        request, "research/builder_invite.html", {"form": form, "survey": survey}, status=status
    )


@never_cache
@login_required
@require_POST
def reminders(request: HttpRequest, pk: int) -> HttpResponse:
    survey = survey_or_404(request, pk)
    try:
        count = services.reminders_send(survey=survey, by=me(request))
    except ValidationError as exc:
        return builder_page(request, survey, status=400, action_errors=messages_of(exc))
    messages.success(
        request,
        ngettext("%(count)d reminder sent.", "%(count)d reminders sent.", count) % {"count": count}
        if count
        else gettext("Nobody is due a reminder yet."),
    )
    return to_builder(survey)


S = "questionari/<int:pk>/"

urlpatterns: list[URLPattern] = [
    path("questionari/", survey_list, name="survey_list"),
    path("questionari/nuovo/", survey_create, name="survey_create"),
    path(S, survey_detail, name="survey_detail"),
    path(S + "modifica/", survey_edit, name="survey_edit"),
    path(S + "apri/", survey_open, name="survey_open"),
    path(S + "chiudi/", survey_close, name="survey_close"),
    path(S + "anteprima/", survey_preview, name="survey_preview"),
    path(S + "inviti/", invitations, name="invitations"),
    path(S + "promemoria/", reminders, name="reminders"),
    path(S + "sezioni/nuova/", section_add, name="section_add"),
    path(S + "sezioni/<int:section_id>/", section_edit, name="section_edit"),
    path(S + "sezioni/<int:section_id>/elimina/", section_delete, name="section_delete"),
    path(S + "sezioni/<int:section_id>/sposta/", section_move, name="section_move"),
    path(S + "sezioni/<int:section_id>/domande/nuova/", question_add, name="question_add"),
    path(S + "domande/<int:question_id>/", question_edit, name="question_edit"),
    path(S + "domande/<int:question_id>/elimina/", question_delete, name="question_delete"),
    path(S + "domande/<int:question_id>/sposta/", question_move, name="question_move"),
]
