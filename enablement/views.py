"""Portal pages of enablement (training, content, announcements) and the public certificate verification page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.signing import BadSignature
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from prm.errors import form_errors_from
from prm.markup import markdown_to_html
from prm.portal import partner_required
from prm.roles import Role

from . import selectors, services
from .forms import ContentFilterForm, QuizForm, SurveyAnswerForm
from .models import Certification, NewsletterOptOut
from .responses import asset_download

CONTENT_PAGE_SIZE = 24
TEAM_PAGE_SIZE = 25


# --- Training --------------------------------------------------------------------------------------


@partner_required
def training(request):
    """A person's learning paths, courses, progress and certificates; the partner admin also sees
    the team's certifications and what expires soon."""
    user, partner = request.user, request.partner
    courses = list(selectors.course_list(user=user))
    progress = selectors.course_progress(user=user)
    held = {}
    for certification in selectors.my_certifications(user=user):
        held.setdefault(certification.course_id, certification)
    rows = [
        {
            "course": c,
            "progress": progress.get(c.pk),
            "certification": held.get(c.pk),
            "required": selectors.is_required(c, partner),
        }
        for c in courses
    ]
    by_course = {row["course"].pk: row for row in rows}
    paths = [
        {"path": path, "rows": [by_course[s.course_id] for s in path.steps.all() if s.course_id in by_course]}
        for path in selectors.learning_paths(user=user)
    ]
    context = {
        "partner": partner,
        "paths": paths,
        "required": [row for row in rows if row["required"]],
        "rows": rows,
        "certifications": selectors.my_certifications(user=user),
        "tier_status": selectors.tier_certification_status(partner),
        "is_admin": user.role == Role.PARTNER_ADMIN,
    }
    if context["is_admin"]:
        context["team"] = Paginator(selectors.team_training(partner=partner), TEAM_PAGE_SIZE).get_page(
            request.GET.get("team")
        )
        context["expiring"] = list(selectors.expiring_soon()[:20])
    return render(request, "enablement/training.html", context)


@partner_required
def course_detail(request, pk):
    """A course's lessons and its quiz; answering the quiz records a scored attempt."""
    course = get_object_or_404(selectors.course_detail(user=request.user), pk=pk)
    questions = list(course.questions.all())
    form = QuizForm(request.POST or None, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            attempt = services.quiz_attempt_submit(course=course, user=request.user, answers=form.answers())
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            return redirect("training:attempt", pk=attempt.pk)
    return render(
        request,
        "enablement/course.html",
        {
            "partner": request.partner,
            "course": course,
            "lessons": [
                (lesson, markdown_to_html(lesson.body_markdown, top_heading=4)) for lesson in course.lessons.all()
            ],
            "form": form,
            "attempts_left": selectors.attempts_left_today(course=course, user=request.user),
            "certification": selectors.my_certifications(user=request.user).filter(course=course).first(),
        },
    )


@partner_required
def attempt_detail(request, pk):
    """The result of one's own attempt: the score, and which questions were wrong (never what was right)."""
    attempt = get_object_or_404(selectors.attempt_list(user=request.user), pk=pk)
    wrong = set(attempt.wrong_questions)
    questions = [q for q in attempt.course.questions.all() if q.pk in wrong]
    return render(
        request,
        "enablement/attempt.html",
        {
            "partner": request.partner,
            "attempt": attempt,
            "wrong_questions": questions,
            "certification": selectors.certification_of(attempt),
            "attempts_left": selectors.attempts_left_today(course=attempt.course, user=request.user),
        },
    )


@partner_required
def certificate_pdf(request, pk):
    certification = get_object_or_404(selectors.certification_list(user=request.user), pk=pk)
    if not services.certificate_pdf_request(certification=certification):
        return render(request, "enablement/certificate_pending.html", {"certification": certification}, status=202)
    return FileResponse(
        certification.pdf.open("rb"),
        as_attachment=True,
        content_type="application/pdf",
        filename=f"certificate-{certification.verification_code}.pdf",
    )


def home_panel(request):
    """The portal home's enablement panel: featured content, required courses not passed yet,
    and the person's certifications that end within 30 days (prm.home_panels)."""
    partner = getattr(request, "partner", None)
    if partner is None:
        return None
    user = request.user
    held = {c.course_id for c in selectors.my_certifications(user=user) if c.is_current}
    due = [c for c in selectors.course_list(user=user) if c.pk not in held and selectors.is_required(c, partner)]
    context = {
        "featured": selectors.featured_content(user=user, partner=partner),
        "due": due,
        "expiring": list(selectors.expiring_soon().filter(user=user)),
    }
    if not any(context.values()):
        return None
    return "enablement/home_panel.html", context


# --- Content ---------------------------------------------------------------------------------------


@partner_required
def content_list(request):
    filters = ContentFilterForm(request.GET or None)
    params = filters.cleaned_data if filters.is_valid() else {}
    assets = selectors.content_list(
        user=request.user,
        partner=request.partner,
        search=params.get("search", ""),
        category=params.get("category", ""),
        kind=params.get("kind", ""),
        language=params.get("language", ""),
    )
    page = Paginator(assets, CONTENT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "enablement/content.html",
        {
            "partner": request.partner,
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "filtered": any(params.values()),
        },
    )


@partner_required
def content_download(request, pk):
    asset = get_object_or_404(selectors.content_visible(user=request.user, partner=request.partner), pk=pk)
    return asset_download(request, asset)


# --- Public ----------------------------------------------------------------------------------------


@never_cache
@require_GET
def certificate_verify(request, code):
    """Anyone may check a certificate by its code: holder, partner, course, dates and whether it
    is current. Nothing else about the person or the partner is shown."""
    certification = selectors.verification(code)
    if certification is None:
        return render(request, "enablement/verify.html", {"code": code[:40]}, status=404)
    return render(
        request,
        "enablement/verify.html",
        {"certification": certification, "current": certification.is_current, "Status": Certification.Status},
    )


# --- News (newsletters in the portal) --------------------------------------------------------------

NEWS_PAGE_SIZE = 10


@partner_required
def news_list(request):
    """The newsletters sent to the user's organization, newest first (selectors.newsletters_for)."""
    page = Paginator(selectors.newsletter_list_for(request.user), NEWS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "enablement/news_list.html",
        {"partner": request.partner, "page": page, "receives": selectors.newsletter_receives(request.user)},
    )


@partner_required
def news_detail(request, pk):
    """One sent newsletter as it was mailed (its snapshot, never the draft re-rendered); another
    organization's newsletter, or one whose audience left this organization out, is not found."""
    newsletter = get_object_or_404(selectors.newsletters_for(request.user), pk=pk)
    return render(request, "enablement/news_detail.html", {"partner": request.partner, "newsletter": newsletter})


@partner_required
def news_preferences(request):
    """Whether the user receives newsletters; unsubscribing and subscribing again. Transactional
    mail (deal decisions, invitations, statements) is sent either way."""
    if request.method == "POST":
        choice = request.POST.get("newsletters")
        if choice == "unsubscribe":
            services.newsletter_opt_out(user=request.user, via="portal")
            messages.success(request, "You no longer receive newsletters. You can subscribe again here at any time.")
        elif choice == "subscribe":
            services.newsletter_opt_in(user=request.user)
            messages.success(request, "You receive newsletters again.")
        else:
            messages.error(request, "Choose whether to unsubscribe or to subscribe again.")
        return redirect("news:preferences")
    return render(
        request,
        "enablement/news_preferences.html",
        {
            "partner": request.partner,
            "receives": selectors.newsletter_receives(request.user),
            "opt_out": selectors.newsletter_opt_out_of(request.user),
        },
    )


# --- Communication: newsletter unsubscribe (public, signed link) -----------------------------------


@never_cache
@csrf_exempt  # mail clients POST "List-Unsubscribe=One-Click" (RFC 8058) without any CSRF token
@require_http_methods(["GET", "POST"])
def newsletter_unsubscribe(request, token):
    """The signed link of every newsletter. GET asks for confirmation and writes nothing (mail
    scanners open links); POST unsubscribes, from our page's button or from a mail client's
    one-click. A token that was tampered with is not found (404, as a tampered survey link) and
    nothing is written."""
    try:
        user, newsletter = services.unsubscribe_check(token=token)
    except BadSignature:
        return render(request, "enablement/unsubscribe.html", {"invalid": True}, status=404)
    context = {"token": token, "email": user.email, "newsletter": newsletter}
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        services.newsletter_opt_out(
            user=user,
            via=NewsletterOptOut.Via.ONE_CLICK if one_click else NewsletterOptOut.Via.LINK,
            newsletter=newsletter,
        )
        return render(request, "enablement/unsubscribe.html", {**context, "done": True})
    return render(request, "enablement/unsubscribe.html", context)


# --- Announcements ---------------------------------------------------------------------------------

ANNOUNCEMENTS_PAGE_SIZE = 10


def _shown(announcements, top_heading: int) -> list[dict]:
    """Each announcement with its body as sanitized HTML, headings under the page's own."""
    return [
        {"announcement": a, "body": markdown_to_html(a.body_markdown, top_heading=top_heading)} for a in announcements
    ]


def announcements_home_panel(request):
    """The portal home's announcements, above everything else (prm.home_panels, position "top"):
    the current ones of the user's audience not dismissed yet, pinned first. When none is left but
    some were dismissed, a line leads to where they can be read again."""
    if getattr(request, "partner", None) is None:
        return None
    current = list(selectors.announcements_for(request.user)[: selectors.HOME_LIMIT + 1])
    if not current:
        if selectors.announcements_visible(request.user).exists():
            return "enablement/announcements_panel.html", {"announcements": [], "dismissed_only": True}
        return None
    return "enablement/announcements_panel.html", {
        "announcements": _shown(current[: selectors.HOME_LIMIT], top_heading=4),
        "more": len(current) > selectors.HOME_LIMIT,
    }


@partner_required
def announcement_list(request):
    """Every current announcement of the user's audience, dismissed ones included (to read them again)."""
    page = Paginator(selectors.announcements_visible(request.user), ANNOUNCEMENTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "enablement/announcements.html",
        {"partner": request.partner, "page": page, "items": _shown(page.object_list, top_heading=3)},
    )


@require_POST
@partner_required
def announcement_dismiss(request, pk):
    """Hide an announcement from one's portal home; a second click changes nothing. Only current
    announcements of one's audience: any other is 404."""
    announcement = get_object_or_404(selectors.announcements_visible(request.user), pk=pk)
    services.announcement_dismiss(announcement=announcement, user=request.user)
    messages.success(request, f"“{announcement.title}” is dismissed. You can read it again under Announcements.")
    if request.POST.get("next") == "list":
        return redirect("announcements:list")
    return redirect("portal:home")


# --- Surveys (partner feedback) --------------------------------------------------------------------

SURVEY_PAGE_SIZE = 25


def _survey_answer_page(request, invitation, *, public: bool):
    """The answer form of one invitation, shared by the signed link and the portal. An answered
    invitation shows the thanks; a closed survey says so; a refusal goes on the form."""
    survey = invitation.survey
    context = {"survey": survey, "invitation": invitation, "public": public}
    state = selectors.survey_invitation_state(invitation=invitation)
    if state == "answered":
        return render(request, "enablement/survey_done.html", {**context, "already": True})
    if state == "closed":
        return render(request, "enablement/survey_closed.html", context)
    questions = list(survey.questions.all())
    form = SurveyAnswerForm(request.POST or None, survey=survey, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_answer(invitation=invitation, data=form.answers())
        except ValidationError as error:
            form_errors_from(form, error)
            invitation.refresh_from_db(fields=["answered_at"])
            if invitation.answered_at is not None:  # a second tab or a double click got there first
                return render(request, "enablement/survey_done.html", {**context, "already": True})
        else:
            return render(request, "enablement/survey_done.html", {**context, "already": False})
    return render(request, "enablement/survey_answer.html", {**context, "form": form})


@never_cache
def survey_answer_public(request, token):
    """Anyone holding the signed link of the invitation mail answers without signing in (the link
    is the credential); a tampered or truncated link is 404 with a page that says so."""
    invitation = selectors.invitation_for_token(token=token)
    if invitation is None:
        return render(request, "enablement/survey_invalid.html", status=404)
    return _survey_answer_page(request, invitation, public=True)


@partner_required
def survey_list(request):
    """The person's survey invitations: those waiting for an answer, then those answered or closed."""
    invitations = selectors.my_survey_invitations(user=request.user)
    page = Paginator(invitations, SURVEY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "enablement/surveys.html",
        {
            "partner": request.partner,
            "page": page,
            "waiting": {i.pk for i in selectors.waiting_survey_invitations(user=request.user)},
        },
    )


@partner_required
@never_cache
def survey_answer(request, pk):
    """Answer one of one's own invitations while signed in; anyone else's is 404."""
    invitation = get_object_or_404(selectors.my_survey_invitations(user=request.user), pk=pk)
    return _survey_answer_page(request, invitation, public=False)


def survey_home_panel(request):
    """The portal home's "A survey is waiting for you" panel (prm.home_panels)."""
    if getattr(request, "partner", None) is None:
        return None
    waiting = list(selectors.waiting_survey_invitations(user=request.user)[:3])
    if not waiting:
        return None
    return "enablement/survey_home_panel.html", {"waiting": waiting}
