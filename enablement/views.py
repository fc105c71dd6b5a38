"""Portal pages of enablement (training, content) and the public certificate verification page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.signing import BadSignature
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from prm.errors import form_errors_from
from prm.markup import markdown_to_html
from prm.portal import partner_required
from prm.roles import Role

from . import selectors, services
from .forms import ContentFilterForm, QuizForm
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
    one-click. A token that was tampered with is refused (400) and nothing is written."""
    try:
        user, newsletter = services.unsubscribe_check(token)
    except BadSignature:
        return render(request, "enablement/unsubscribe.html", {"invalid": True}, status=400)
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
