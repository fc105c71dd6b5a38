"""Managers curate content and courses here, and see downloads per asset and partner, and
completion per course and partner. Attempts, downloads and certifications are read-only.
Managers also publish announcements to an audience and see how many people each reaches."""

import csv

from csp.decorators import csp
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join

from partners.models import PartnerType
from prm.admin import ReadOnlyInline, counted, run_for_each
from prm.audit import AuditedAdmin
from prm.csv import csv_safe
from prm.errors import RuleViolation, error_messages, error_text, form_errors_from
from prm.queries import count_subquery

from . import selectors, services
from .forms import AudienceForm, partner_types_field
from .models import (
    Announcement,
    Certification,
    Choice,
    ContentAsset,
    ContentDownload,
    Course,
    LearningPath,
    Lesson,
    Newsletter,
    NewsletterDelivery,
    NewsletterOptOut,
    PathStep,
    Question,
    QuizAttempt,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    comma_list,
    comma_value,
)
from .selectors.audience import audience_summary
from .services.newsletters import EDITABLE as NEWSLETTER_EDITABLE


def _table(headers, rows):
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows)
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


# --- Content ----------------------------------------------------------------------------------------


class ContentAssetForm(forms.ModelForm):
    """The asset form: the file goes through the service's upload checks; tags and partner types
    are edited as words and check boxes, not JSON."""

    upload = forms.FileField(
        label="File", required=False, help_text="PDF, Office, image, video or ZIP. A new file makes a new version."
    )
    tag_words = forms.CharField(label="Tags", required=False, max_length=500, help_text="Separate them with commas.")
    audience_types = partner_types_field("None ticked: every partner type sees it.")

    class Meta:
        model = ContentAsset
        fields = [
            "title",
            "description",
            "category",
            "kind",
            "upload",
            "url",
            "tag_words",
            "language",
            "min_tier",
            "audience_types",
            "featured",
            "published",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["tag_words"].initial = ", ".join(self.instance.tags)
            self.fields["audience_types"].initial = self.instance.partner_type_list

    def clean_tag_words(self):
        return sorted({t.strip() for t in self.cleaned_data["tag_words"].split(",") if t.strip()})

    def clean(self):
        data = super().clean()
        try:
            services.content_source_check(
                kind=data.get("kind"),
                url=data.get("url", ""),
                upload=data.get("upload"),
                has_file=bool(self.instance.file),
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error("upload" if field == "file" else field if field in self.fields else None, messages)
        return data


@admin.register(ContentAsset)
class ContentAssetAdmin(AuditedAdmin):
    form = ContentAssetForm
    list_display = [
        "title",
        "category",
        "kind",
        "min_tier",
        "audience",
        "language",
        "version",
        "featured",
        "published",
        "download_count",
        "updated_at",
    ]
    list_filter = ["category", "kind", "language", "min_tier", "featured", "published"]
    search_fields = ["title", "description"]
    list_select_related = ["min_tier"]
    readonly_fields = ["current_file", "version", "updated_at", "updated_by", "downloads_by_partner"]

    def get_fieldsets(self, request, obj=None):
        main = (
            None,
            {"fields": ["title", "description", "category", "kind", "upload", "url", "tag_words", "language"]},
        )
        audience = ("Who sees it", {"fields": ["min_tier", "audience_types", "featured", "published"]})
        if obj is None:
            return [main, audience]
        return [main, audience, ("Versions and downloads", {"fields": self.readonly_fields})]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(downloaded=Count("downloads"))

    @admin.display(description="downloads", ordering="downloaded")
    def download_count(self, asset):
        return asset.downloaded

    @admin.display(description="partner types")
    def audience(self, asset):
        return ", ".join(PartnerType(t).label for t in asset.partner_type_list) or "all"

    @admin.display(description="current file")
    def current_file(self, asset):
        if asset.kind == ContentAsset.Kind.LINK:
            return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', asset.url, asset.url)
        if not asset.file:
            return "—"
        return format_html(
            '<a href="{}">{}</a> ({}, {} KB)',
            reverse("api:content-download", args=[asset.pk]),
            asset.original_filename,
            asset.content_type,
            max(asset.size // 1024, 1),
        )

    @admin.display(description="downloads per partner (all versions)")
    def downloads_by_partner(self, asset):
        rows = selectors.downloads_per_partner(asset)
        if not rows:
            return "No downloads yet."
        return _table(
            ["Partner", "Downloads", "People"], [(r["partner__name"], r["downloads"], r["people"]) for r in rows]
        )

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data.get(field) for field in services.ASSET_FIELDS if field in form.cleaned_data}
        data["tags"] = form.cleaned_data.get("tag_words", [])
        data["partner_types"] = form.cleaned_data.get("audience_types", [])
        asset = services.content_asset_save(
            by=request.user, data=data, upload=form.cleaned_data.get("upload"), asset=obj if change else None
        )
        obj.pk = asset.pk


@admin.register(ContentDownload)
class ContentDownloadAdmin(admin.ModelAdmin):
    list_display = ["downloaded_at", "asset", "version", "partner", "user"]
    list_filter = ["partner", "asset__category"]
    search_fields = ["asset__title", "partner__name", "user__email"]
    list_select_related = ["asset", "partner", "user"]
    date_hierarchy = "downloaded_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Courses ----------------------------------------------------------------------------------------


class LessonInline(admin.StackedInline):
    model = Lesson
    extra = 0
    fields = [("position", "title"), "body_markdown"]


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["position", "text", "choice_count"]
    readonly_fields = ["choice_count"]
    show_change_link = True
    verbose_name_plural = "Quiz questions (open a question to edit its choices)"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n=Count("choices"), right=Count("choices", filter=Q(choices__is_correct=True)))
        )

    @admin.display(description="choices")
    def choice_count(self, question):
        if question.pk is None:
            return "—"
        return f"{question.n} ({question.right} right)"


class CourseForm(forms.ModelForm):
    required_types = forms.MultipleChoiceField(
        label="Required for partner types",
        choices=PartnerType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Course
        fields = [
            "title",
            "summary",
            "published",
            "order",
            "pass_mark",
            "validity_months",
            "required_tier",
            "required_types",
            "onboarding_event",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["required_types"].initial = comma_list(self.instance.required_partner_types)

    def save(self, commit=True):
        self.instance.required_partner_types = comma_value(self.cleaned_data.get("required_types"))
        return super().save(commit)


@admin.register(Course)
class CourseAdmin(AuditedAdmin):
    form = CourseForm
    list_display = [
        "title",
        "published",
        "pass_mark",
        "validity_months",
        "required_tier",
        "questions_count",
        "attempt_count",
        "passed_people",
        "certified_now",
    ]
    list_filter = ["published", "required_tier"]
    search_fields = ["title"]
    list_select_related = ["required_tier"]
    inlines = [LessonInline, QuestionInline]
    readonly_fields = ["completion"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["title", "summary", "published", "order"]}),
            ("Quiz and certification", {"fields": ["pass_mark", "validity_months"]}),
            ("Who must take it", {"fields": ["required_tier", "required_types", "onboarding_event"]}),
        ]
        if obj is not None:
            fieldsets.append(("Completion per partner", {"fields": ["completion"]}))
        return fieldsets

    def get_queryset(self, request):
        today = timezone.localdate()
        return (
            super()
            .get_queryset(request)
            .annotate(
                # One subquery each: counted over joins, attempts would multiply certifications.
                n_questions=count_subquery(Question.objects.filter(course=OuterRef("pk"))),
                n_attempts=count_subquery(QuizAttempt._base_manager.filter(course=OuterRef("pk"))),
                n_passed=count_subquery(
                    QuizAttempt._base_manager.filter(course=OuterRef("pk"), passed=True), distinct="user_id"
                ),
                n_certified=count_subquery(
                    Certification._base_manager.filter(course=OuterRef("pk"), status="current", expires_on__gt=today),
                    distinct="user_id",
                ),
            )
        )

    @admin.display(description="questions", ordering="n_questions")
    def questions_count(self, course):
        return course.n_questions

    @admin.display(description="attempts", ordering="n_attempts")
    def attempt_count(self, course):
        return course.n_attempts

    @admin.display(description="people passed", ordering="n_passed")
    def passed_people(self, course):
        return course.n_passed

    @admin.display(description="certified now", ordering="n_certified")
    def certified_now(self, course):
        return course.n_certified

    @admin.display(description="completion per partner")
    def completion(self, course):
        rows = selectors.completion_per_partner(course)
        if not rows:
            return "Nobody has taken the quiz yet."
        return _table(
            ["Partner", "People who tried", "Passed", "Certified now"],
            [(r["partner__name"], r["attempted"], r["passed"], r["certified"]) for r in rows],
        )


class ChoiceFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if len(kept) < 2:
            raise ValidationError("A question needs at least two choices.")
        if not any(f.cleaned_data.get("is_correct") for f in kept):
            raise ValidationError("Mark at least one choice as a right answer.")


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    extra = 3
    fields = ["position", "text", "is_correct"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "course", "position"]
    list_filter = ["course"]
    list_select_related = ["course"]
    search_fields = ["text"]
    inlines = [ChoiceInline]


class PathStepInline(admin.TabularInline):
    model = PathStep
    extra = 1
    fields = ["position", "course"]


@admin.register(LearningPath)
class LearningPathAdmin(admin.ModelAdmin):
    list_display = ["title", "order", "course_count"]
    inlines = [PathStepInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n=Count("steps"))

    @admin.display(description="courses", ordering="n")
    def course_count(self, path):
        return path.n


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QuizAttempt)
class QuizAttemptAdmin(ReadOnlyAdmin):
    list_display = ["submitted_at", "user", "partner", "course", "score", "passed"]
    list_filter = ["passed", "course", "partner"]
    search_fields = ["user__email", "partner__name", "course__title"]
    list_select_related = ["user", "partner", "course"]
    date_hierarchy = "submitted_at"


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdmin):
    list_display = [
        "holder_name",
        "partner",
        "course",
        "issued_on",
        "expires_on",
        "status",
        "verification_code",
        "certificate",
    ]
    list_filter = ["status", "course", "partner"]
    search_fields = ["holder_name", "user__email", "partner_name", "verification_code"]
    list_select_related = ["partner", "course"]
    date_hierarchy = "expires_on"
    exclude = ["pdf"]  # a private file has no URL for the admin's file widget: the PDF column links to it

    @admin.display(description="certificate")
    def certificate(self, certification):
        if not certification.pdf:
            return "being prepared"
        return format_html('<a href="{}">PDF</a>', reverse("api:certification-pdf", args=[certification.pk]))


# --- Announcements ---------------------------------------------------------------------------------


class AnnouncementForm(AudienceForm):
    """The announcement and its audience; the rules (a web link with its words, an expiry after
    the publication) are the service's, shown on the fields they concern."""

    class Meta:
        model = Announcement
        fields = [*services.ANNOUNCEMENT_FIELDS, *AudienceForm.AUDIENCE_FIELDS]
        help_texts = {
            "body_markdown": "A few lines of Markdown; scripts and raw HTML are removed when it is shown.",
            "link": "Optional: a web page (https://…) to read more.",
            "link_text": "The words of the link, e.g. “Read the SPIF rules”.",
            "pinned": "Pinned announcements come first on the portal home.",
            "publish_at": "It shows on the portal home from this time.",
            "expires_at": "And until this time; empty: until withdrawn.",
        }

    def clean(self):
        data = super().clean()
        probe = Announcement(
            link=data.get("link") or "",
            link_text=data.get("link_text") or "",
            publish_at=data.get("publish_at"),
            expires_at=data.get("expires_at"),
        )
        for field, errors in services.announcement_check(probe).items():
            if field not in self.errors:
                self.add_error(field, errors)
        return data


class AnnouncementStateFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("current", "Showing now"), ("scheduled", "Scheduled"), ("expired", "Ended")]

    def queryset(self, request, queryset):
        if self.value() in ("current", "scheduled", "expired"):
            return queryset.filter(selectors.announcement_state_q(self.value()))
        return queryset


@admin.register(Announcement)
class AnnouncementAdmin(AuditedAdmin):
    form = AnnouncementForm
    list_display = ["title", "pinned", "publish_at", "expires_at", "audience", "reach", "dismissals"]
    list_filter = ["pinned", AnnouncementStateFilter]
    search_fields = ["title", "body_markdown"]
    date_hierarchy = "publish_at"
    actions = ["withdraw"]
    readonly_fields = ["audience_now", "created_by", "created_at"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["title", "body_markdown", "link", "link_text", "pinned"]}),
            ("When", {"fields": ["publish_at", "expires_at"]}),
            ("Who sees it", {"fields": AudienceForm.AUDIENCE_FIELDS}),
        ]
        if obj is not None:
            fieldsets.append(("Reach", {"fields": self.readonly_fields}))
        return fieldsets

    def get_queryset(self, request):
        return selectors.announcement_reach(super().get_queryset(request)).prefetch_related("tiers")

    @admin.display(description="audience")
    def audience(self, announcement):
        return selectors.audience_summary(announcement)

    @admin.display(description="reach (people)", ordering="reach")
    def reach(self, announcement):
        return announcement.reach

    @admin.display(description="dismissed by", ordering="dismissal_count")
    def dismissals(self, announcement):
        return announcement.dismissal_count

    @admin.display(description="audience now")
    def audience_now(self, announcement):
        return format_html(
            "{}<br>{} partner users, of whom {} dismissed it.",
            selectors.audience_summary(announcement),
            announcement.reach,
            announcement.dismissal_count,
        )

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data.get(field) for field in services.ANNOUNCEMENT_FIELDS}
        data.update(form.audience_data())
        announcement = services.announcement_save(by=request.user, data=data, announcement=obj if change else None)
        obj.pk = announcement.pk

    def save_related(self, request, form, formsets, change):
        """The service has set the tiers already; there is nothing else related to save."""

    @admin.action(description="Withdraw the selected announcements now", permissions=["change"])
    def withdraw(self, request, queryset):
        run_for_each(
            request,
            queryset,
            lambda announcement: services.announcement_withdraw(by=request.user, announcement=announcement),
            ("{count} announcement withdrawn.", "{count} announcements withdrawn."),
        )


# --- Surveys (partner feedback) ---------------------------------------------------------------------


class SurveyForm(AudienceForm):
    class Meta:
        model = Survey
        fields = ["title", "introduction", "nps_question", "closes_at", "tiers", "recipients"]


class SurveyQuestionFormSet(BaseInlineFormSet):
    """The question rows; the service's rules on a question (services.survey_question_errors) show
    on the row's fields, and the admin saves the rows through ``survey_save``."""

    def clean(self):
        super().clean()
        for form, question in self.questions():
            errors = services.survey_question_errors(question=SurveyQuestion(**question))
            if errors:
                form_errors_from(form, RuleViolation(errors))

    def questions(self) -> list[tuple[forms.Form, dict]]:
        """The rows kept (filled in, valid and not marked for deletion), with their values."""
        return [
            (form, {f: form.cleaned_data[f] for f in services.surveys.QUESTION_FIELDS if f in form.cleaned_data})
            for form in self.forms
            if form.is_valid() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


class SurveyQuestionInline(admin.TabularInline):
    """The questions besides the NPS one; they change only while the survey is a draft."""

    model = SurveyQuestion
    formset = SurveyQuestionFormSet
    extra = 1
    fields = ["order", "kind", "text", "choices", "required"]
    verbose_name_plural = "Questions besides the NPS question (rating 1-5, one choice, free text)"
    # Compact, so that the page fits a 1366 px screen (the admin's default textarea is 40 x 10).
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 30})}}

    def _draft(self, obj) -> bool:
        return obj is None or obj.status == Survey.Status.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._draft(obj) and super().has_delete_permission(request, obj)


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


def _not_answered(n: int) -> str:
    return f"{_people(n)} {'has' if n == 1 else 'have'} not answered."


def _reminder_line(survey: Survey) -> str:
    """Who the reminder reaches: as ``services.survey_remind`` picks them."""
    waiting = survey.invitations.filter(answered_at__isnull=True)
    due = selectors.survey_reminder_due(survey=survey).count()
    said = _not_answered(waiting.count())
    if due == waiting.count():
        return said
    return f"{said[:-1]}: {due} will get the reminder (the others unsubscribed from program mail or left)."


def _surveys(surveys: list) -> str:
    """“Title” for one survey, "3 surveys" for several."""
    return f"“{surveys[0]}”" if len(surveys) == 1 else f"{len(surveys)} surveys"


@admin.register(Survey)
class SurveyAdmin(AuditedAdmin):
    """Define a survey (draft), send it to its audience, remind once, close; the change page of a
    sent survey shows its results, and its responses download as CSV."""

    form = SurveyForm
    inlines = [SurveyQuestionInline]
    list_display = ["title", "status", "sent_at", "closes_at", "invited", "answered", "response_rate", "reminded_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    actions = ["send_to_audience", "send_reminder", "close_survey"]
    change_form_template = "admin/enablement/survey/change_form.html"
    SENT_FIELDS = ["title", "introduction", "nps_question", "closes_at", "audience", "status", "sent_at", "reminded_at"]

    def get_queryset(self, request):
        return selectors.survey_counts(super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        if obj is not None and obj.status != Survey.Status.DRAFT:
            return [
                (None, {"fields": self.SENT_FIELDS}),
                ("Results", {"fields": ["results"]}),
            ]
        return [
            (None, {"fields": ["title", "introduction", "nps_question", "closes_at"]}),
            ("Audience", {"fields": AudienceForm.AUDIENCE_FIELDS}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Survey.Status.DRAFT:
            return [*self.SENT_FIELDS, "results"]
        return []

    def has_delete_permission(self, request, obj=None):
        # A sent survey's answers are the partners' feedback and the performance stage's scores.
        return (obj is None or obj.status == Survey.Status.DRAFT) and super().has_delete_permission(request, obj)

    @admin.display(description="invited", ordering="n_invited")
    def invited(self, survey):
        return survey.n_invited

    @admin.display(description="answered", ordering="n_answered")
    def answered(self, survey):
        return survey.n_answered

    @admin.display(description="response rate")
    def response_rate(self, survey):
        if not survey.n_invited:
            return "—"
        return f"{round(100 * survey.n_answered / survey.n_invited)}%"

    @admin.display(description="audience")
    def audience(self, survey):
        return audience_summary(survey)

    @admin.display(description="results")
    def results(self, survey):
        return render_to_string(
            "admin/enablement/survey/results.html",
            {"survey": survey, "results": selectors.survey_results(survey=survey)},
        )

    def save_model(self, request, obj, form, change):
        """Saved in ``save_related``, with its tiers and questions, by the service."""

    def save_related(self, request, form, formsets, change):
        """The survey, its tiers and its questions in one call of ``survey_save`` (the service's
        rules, under its lock); never by the form or the formset behind its back."""
        obj = form.instance
        data = {f: getattr(obj, f) for f in services.surveys.SURVEY_FIELDS} | form.audience_data()
        questions = None
        for formset in formsets:
            if isinstance(formset, SurveyQuestionFormSet) and formset.has_changed():
                questions = [question for _form, question in formset.questions()]
            # The admin's change message reads these; the service replaced the rows as a whole.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        survey = services.survey_save(by=request.user, survey=obj if change else None, data=data, questions=questions)
        obj.pk = survey.pk

    def change_view(self, request, object_id, form_url="", extra_context=None):
        survey = Survey.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        extra = {"survey_audience_count": selectors.survey_audience_count(survey=survey)} if survey else {}
        if survey is not None and survey.status != Survey.Status.DRAFT:
            extra.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _confirm(self, request, queryset, *, action, title, question, submit, lines):
        """The confirmation page of an action that mails people or cannot be undone; ``lines`` says,
        per survey, what the action does to it."""
        return render(
            request,
            "admin/enablement/survey/send_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "question": question,
                "submit": submit,
                "surveys": [(survey, lines(survey)) for survey in queryset],
                "opts": self.model._meta,
                "action": action,
                "from_change": request.POST.get("_from_change", ""),
                "original": queryset[0] if len(queryset) == 1 else None,
            },
        )

    def _run(self, request, queryset, action, said) -> None:
        """Run ``action`` (a service call returning how many people it mailed) on each survey; one
        success message for the whole action, ``said(surveys, people)``, and one error per refusal."""
        done, people = [], 0
        for survey in queryset:
            try:
                people += action(survey) or 0
                done.append(survey)
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, f"{survey}: {error_text(error)}")
        if done:
            messages.success(request, said(done, people))

    @admin.action(description="Send to audience…", permissions=["change"])
    def send_to_audience(self, request, queryset):
        """Asks first, naming how many people each survey invites; then sends."""
        if request.POST.get("post") != "yes":
            return self._confirm(
                request,
                queryset,
                action="send_to_audience",
                title="Send surveys to their audience",
                question=(
                    "Send the surveys below? Each person invited receives one e-mail with a personal link; "
                    "this cannot be undone."
                ),
                submit="Yes, send",
                lines=lambda s: f"{_people(selectors.survey_audience_count(survey=s))} will be invited.",
            )
        self._run(
            request,
            queryset,
            lambda s: services.survey_send(survey=s, by=request.user),
            lambda done, n: f"{_surveys(done)} sent: {_people(n)} invited.",
        )
        return self._back(request, queryset)

    @admin.action(description="Send the reminder… (once, to those who did not answer)", permissions=["change"])
    def send_reminder(self, request, queryset):
        """Asks first, naming how many have not answered; then mails each of them one reminder."""
        if request.POST.get("post") != "yes":
            return self._confirm(
                request,
                queryset,
                action="send_reminder",
                title="Send the reminder",
                question=(
                    "Send the reminder of the surveys below? Each person who has not answered receives one e-mail "
                    "(except those who unsubscribed from program mail); a survey is reminded once."
                ),
                submit="Yes, send the reminder",
                lines=_reminder_line,
            )
        self._run(
            request,
            queryset,
            lambda s: services.survey_remind(survey=s, by=request.user),
            lambda done, n: f"Reminder of {_surveys(done)} sent: {_people(n)} reminded.",
        )
        return self._back(request, queryset)

    @admin.action(description="Close… (no more answers)", permissions=["change"])
    def close_survey(self, request, queryset):
        """Asks first (closing cannot be undone); then closes."""
        if request.POST.get("post") != "yes":
            return self._confirm(
                request,
                queryset,
                action="close_survey",
                title="Close surveys",
                question="Close the surveys below? No more answers are accepted; this cannot be undone.",
                submit="Yes, close",
                lines=lambda s: (
                    f"{s.invitations.filter(answered_at__isnull=False).count()} of "
                    f"{_people(s.invitations.count())} invited answered."
                ),
            )
        self._run(
            request,
            queryset,
            lambda s: services.survey_close(survey=s, by=request.user) and 0,  # mails no one
            lambda done, n: counted(("{count} survey closed.", "{count} surveys closed."), len(done)),
        )
        return self._back(request, queryset)

    def _back(self, request, queryset):
        """An action started by a button on a survey's page returns to that page."""
        if request.POST.get("_from_change") and len(queryset) == 1:
            return redirect("admin:enablement_survey_change", queryset[0].pk)
        return None

    def get_urls(self):
        return [
            path("<int:pk>/responses.csv", self.admin_site.admin_view(self.csv_view), name="enablement_survey_csv"),
            *super().get_urls(),
        ]

    def csv_view(self, request, pk):
        """One row per response: partner, e-mail, when, NPS, comment, then each question's answer."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        survey = get_object_or_404(Survey, pk=pk)
        questions, responses = selectors.survey_response_rows(survey=survey)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-responses.csv"'
        writer = csv.writer(response)
        writer.writerow(
            ["partner", "user_email", "answered_at", "nps", "comment", *(f"q{q.pk}: {q.text}" for q in questions)]
        )
        for row in responses:
            given = {a.question_id: a for a in row.answers.all()}
            cells = []
            for question in questions:
                answer = given.get(question.pk)
                value = "" if answer is None else (answer.rating or answer.choice or answer.text or "")
                cells.append(value)
            writer.writerow(
                [
                    csv_safe(row.partner.name),
                    csv_safe(row.user.email) if row.user else "",
                    timezone.localtime(row.answered_at).isoformat(timespec="seconds"),
                    row.nps_score,
                    csv_safe(row.comment),
                    *(csv_safe(c) for c in cells),
                ]
            )
        return response


class SurveyAnswerInline(ReadOnlyInline):
    model = SurveyAnswer
    fields = ["question", "rating", "choice", "text"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    """The responses as partners sent them: read-only."""

    list_display = ["answered_at", "survey", "partner", "user", "nps_score", "short_comment"]
    list_filter = ["survey", "nps_score"]
    search_fields = ["partner__name", "user__email", "comment"]
    list_select_related = ["survey", "partner", "user"]
    date_hierarchy = "answered_at"
    fields = ["survey", "partner", "user", "answered_at", "nps_score", "comment"]
    inlines = [SurveyAnswerInline]

    @admin.display(description="comment")
    def short_comment(self, response):
        return (response.comment[:80] + "…") if len(response.comment) > 80 else response.comment or "—"


# --- Newsletters (issue 10: the manager's compose, preview, test, send and progress pages) ----------


class NewsletterForm(AudienceForm):
    """Compose a newsletter: subject, Markdown body and audience. Saving goes through
    ``services.newsletter_save`` (NewsletterAdmin.save_model)."""

    class Meta:
        model = Newsletter
        fields = ["subject", "body_markdown", "tiers", "recipients"]
        help_texts = {
            "body_markdown": (
                "Markdown: **bold**, *italic*, [a link](https://example.com), # a heading, - a list item. "
                "Raw HTML and scripts are removed; the mail gets a plain-text part and an unsubscribe link."
            ),
        }
        widgets = {"body_markdown": forms.Textarea(attrs={"rows": 18})}


class NewsletterSendForm(forms.Form):
    """Send now (no time) or schedule (a time in the future)."""

    at = forms.DateTimeField(
        label="Send at",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=lazy(lambda: f"Times are in {settings.TIME_ZONE}.", str)(),
    )

    def __init__(self, *args, schedule: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.schedule = schedule
        self.fields["at"].required = schedule

    # A time that is not in the future is refused by services.newsletter_send (on this field).


ALREADY_SENDING = {
    Newsletter.Status.SENDING: "This newsletter is being sent.",
    Newsletter.Status.SENT: "This newsletter was already sent.",
}


def _count(n: int) -> str:
    return f"{n:,}"


def audience_count_text(counts: dict) -> str:
    """The count shown before sending (``services.newsletter_audience_count``): "recipients" is the
    whole audience, the unsubscribed among them are skipped, so the rest get it."""
    total, skipped = counts["recipients"], counts["unsubscribed"]
    if not skipped:
        return f"{_count(total)} partner user{'' if total == 1 else 's'} will get it."
    gets = total - skipped
    return (
        f"{_count(total)} in the audience: {_count(gets)} will get it, {_count(skipped)} unsubscribed will be skipped."
    )


@admin.register(Newsletter)
class NewsletterAdmin(AuditedAdmin):
    """Compose, preview, test, then send now or schedule; the page shows the audience in words and
    the recipient count before sending, and the send's progress (polled) while a worker sends."""

    form = NewsletterForm
    change_form_template = "admin/enablement/newsletter/change_form.html"
    change_list_template = "admin/enablement/newsletter/change_list.html"
    list_display = ["subject", "status", "scheduled_for", "recipient_total", "progress", "created_by"]
    list_filter = ["status"]
    search_fields = ["subject"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"

    # --- pages -----------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not self._editable(obj):
            # Status, audience and counts are in the "Audience and sending" box above the form.
            return [
                (None, {"fields": ["subject", "body_markdown"]}),
                ("Sent", {"fields": ["sent_by", "started_at", "finished_at"]}),
            ]
        return [
            (None, {"fields": ["subject", "body_markdown"]}),
            ("Audience", {"fields": NewsletterForm.AUDIENCE_FIELDS}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self._editable(obj):
            return ["subject", "body_markdown", "sent_by", "started_at", "finished_at"]
        return []

    @staticmethod
    def _editable(newsletter: Newsletter) -> bool:
        return newsletter.status in NEWSLETTER_EDITABLE

    def has_change_permission(self, request, obj=None):
        """Drafts and scheduled newsletters may be edited; once sending starts the page is read-only."""
        if obj is not None and not self._editable(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        """Only drafts: a sent newsletter is the record of what partners received."""
        if obj is not None and obj.status != Newsletter.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="audience")
    def audience(self, newsletter):
        return selectors.audience_summary(newsletter)

    @admin.display(description="recipients", ordering="recipient_count")
    def recipient_total(self, newsletter):
        # Counted when sending starts; before that the audience may still change.
        return f"{newsletter.recipient_count:,}" if newsletter.status not in NEWSLETTER_EDITABLE else "—"

    @admin.display(description="progress: sent · skipped · failed")
    def progress(self, newsletter):
        if newsletter.status not in (Newsletter.Status.SENDING, Newsletter.Status.SENT):
            return "—"
        return render_to_string("admin/enablement/newsletter/progress.html", self._progress_context(newsletter))

    def _progress_context(self, newsletter):
        return {
            "newsletter": newsletter,
            "progress": selectors.newsletter_progress(newsletter),
            "poll_url": reverse("admin:enablement_newsletter_progress", args=[newsletter.pk])
            if newsletter.status == Newsletter.Status.SENDING
            else "",
        }

    def save_model(self, request, obj, form, change):
        data = {
            "subject": form.cleaned_data["subject"],
            "body_markdown": form.cleaned_data["body_markdown"],
            **form.audience_data(),
        }
        if change:
            # The form wrote its values on ``obj``; the service changes the stored row, under its lock.
            obj = Newsletter.objects.get(pk=obj.pk)
        newsletter = services.newsletter_save(by=request.user, data=data, newsletter=obj if change else None)
        form.instance.pk = newsletter.pk

    def save_related(self, request, form, formsets, change):
        """The tiers were saved by the service with the rest (never by the form behind its back)."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A draft's page left open while the newsletter was sent (from another tab): saving it is
        refused in the service's words on the newsletter's page, not with a 403 that blames the role."""
        if request.method == "POST" and request.user.has_perm("enablement.change_newsletter"):
            newsletter = Newsletter.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
            if newsletter is not None and not self._editable(newsletter):
                messages.error(request, services.newsletters.SENT_NO_CHANGE)
                return redirect("admin:enablement_newsletter_change", newsletter.pk)
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context.update(self._sending_context(request, obj))
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def _sending_context(self, request, newsletter):
        sends = request.user.has_perm("enablement.change_newsletter")
        context = {
            "audience_text": selectors.audience_summary(newsletter),
            "may_send": sends,
            "deliveries_url": reverse("admin:enablement_newsletterdelivery_changelist")
            + f"?newsletter__id__exact={newsletter.pk}",
            **self._progress_context(newsletter),
        }
        if newsletter.status in NEWSLETTER_EDITABLE:
            context["audience_count"] = audience_count_text(services.newsletter_audience_count(newsletter=newsletter))
        else:
            counts = selectors.delivery_counts(newsletter)
            context["delivery_counts"] = [
                (status, label, counts[status]) for status, label in NewsletterDelivery.Status.choices if counts[status]
            ]
        return context

    # --- custom views ----------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/preview/", view(self.preview_view), name="enablement_newsletter_preview"),
            path("<int:pk>/preview.html", view(self.preview_html_view), name="enablement_newsletter_preview_html"),
            path("<int:pk>/test/", view(self.test_send_view), name="enablement_newsletter_test"),
            path("<int:pk>/send/", view(self.send_view), name="enablement_newsletter_send"),
            path("<int:pk>/unschedule/", view(self.unschedule_view), name="enablement_newsletter_unschedule"),
            path("<int:pk>/progress.json", view(self.progress_view), name="enablement_newsletter_progress"),
            *super().get_urls(),
        ]

    def _newsletter(self, request, pk, *, sends: bool) -> Newsletter:
        """The newsletter of a custom view, for staff who may see newsletters (and send them, for
        the views that send)."""
        if not self.has_view_permission(request) or (
            sends and not request.user.has_perm("enablement.change_newsletter")
        ):
            raise PermissionDenied
        return get_object_or_404(Newsletter, pk=pk)

    def _context(self, request, newsletter, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "newsletter": newsletter,
            "original": newsletter,
            "opts": self.model._meta,
            **extra,
        }

    def preview_view(self, request, pk):
        """The mail as a recipient sees it: the HTML part in a sandboxed frame, and the text part."""
        newsletter = self._newsletter(request, pk, sends=False)
        preview = services.newsletter_preview(newsletter=newsletter, user=None)
        return render(
            request,
            "admin/enablement/newsletter/preview.html",
            self._context(request, newsletter, f"Preview: {preview['subject']}", preview=preview),
        )

    @csp(
        {
            "sandbox": True,
            "default-src": ["'none'"],
            "img-src": ["https:", "data:"],
            "frame-ancestors": ["'self'"],
        }
    )
    def preview_html_view(self, request, pk):
        """The HTML part alone, for the preview's frame: this one response's policy (instead of the
        site's) is a sandbox without scripts, forms or same-origin rights, no style or script at
        all (the layout has none), images from the web, shown only in our own frame."""
        newsletter = self._newsletter(request, pk, sends=False)
        preview = services.newsletter_preview(newsletter=newsletter, user=None)
        response = HttpResponse(preview["html"], content_type="text/html; charset=utf-8")
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    def test_send_view(self, request, pk):
        """Mail the newsletter to the manager who asks, and to no one else."""
        newsletter = self._newsletter(request, pk, sends=True)
        if request.method != "POST":
            return redirect("admin:enablement_newsletter_change", newsletter.pk)
        try:
            services.newsletter_test_send(newsletter=newsletter, by=request.user)
        except ValidationError as error:
            for message in error_messages(error):
                messages.error(request, message)
        else:
            messages.success(request, f"A test was sent to {request.user.email}.")
        return redirect("admin:enablement_newsletter_change", newsletter.pk)

    def send_view(self, request, pk):
        """Confirm, then send now, or schedule for a time (``?schedule=1``). A second submit (a
        double click) is refused in words on the same page."""
        newsletter = self._newsletter(request, pk, sends=True)
        if request.method != "POST" and newsletter.status not in NEWSLETTER_EDITABLE:
            # Nothing to confirm: the newsletter's page shows its progress. A POST gets the service's refusal.
            messages.info(request, ALREADY_SENDING.get(newsletter.status, "This newsletter was already sent."))
            return redirect("admin:enablement_newsletter_change", newsletter.pk)
        schedule = request.GET.get("schedule") == "1" or "schedule" in request.POST
        form = NewsletterSendForm(request.POST if request.method == "POST" else None, schedule=schedule)
        if request.method == "POST" and form.is_valid():
            try:
                sent = services.newsletter_send(
                    newsletter=newsletter, by=request.user, at=form.cleaned_data["at"] if schedule else None
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                if sent.status == Newsletter.Status.SCHEDULED:
                    when = timezone.localtime(sent.scheduled_for).strftime("%d %b %Y %H:%M")
                    messages.success(request, f"“{sent.subject}” is scheduled for {when}.")
                else:
                    messages.success(
                        request, f"“{sent.subject}” is being sent by a worker; this page shows its progress."
                    )
                return redirect("admin:enablement_newsletter_change", newsletter.pk)
        newsletter.refresh_from_db()
        editable = newsletter.status in NEWSLETTER_EDITABLE
        return render(
            request,
            "admin/enablement/newsletter/send.html",
            self._context(
                request,
                newsletter,
                f"Schedule “{newsletter.subject}”" if schedule else f"Send “{newsletter.subject}” now",
                form=form,
                schedule=schedule,
                audience_text=selectors.audience_summary(newsletter),
                audience_count=audience_count_text(services.newsletter_audience_count(newsletter=newsletter))
                if editable
                else None,
            ),
        )

    def unschedule_view(self, request, pk):
        """Back to draft: the scheduled send does not happen."""
        newsletter = self._newsletter(request, pk, sends=True)
        if request.method == "POST":
            try:
                services.newsletter_unschedule(newsletter=newsletter, by=request.user)
            except ValidationError as error:
                for message in error_messages(error):
                    messages.error(request, message)
            else:
                messages.success(request, f"“{newsletter.subject}” is no longer scheduled; it is a draft again.")
        return redirect("admin:enablement_newsletter_change", newsletter.pk)

    def progress_view(self, request, pk):
        """Polled every 2 s by static/js/poll.js while a worker sends: status and counts."""
        newsletter = self._newsletter(request, pk, sends=False)
        progress = selectors.newsletter_progress(newsletter)
        return JsonResponse({**progress, "ready": progress["finished"], "progress": progress["text"]})


@admin.register(NewsletterDelivery)
class NewsletterDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["email", "partner", "newsletter", "status", "attempts", "last_error", "sent_at"]
    list_filter = ["status", "newsletter"]
    search_fields = ["email", "partner__name"]
    list_select_related = ["partner", "newsletter"]
    fields = [
        "newsletter",
        "user",
        "partner",
        "email",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
    ]


@admin.register(NewsletterOptOut)
class NewsletterOptOutAdmin(ReadOnlyAdmin):
    list_display = ["user", "via", "newsletter", "created_at"]
    list_filter = ["via"]
    search_fields = ["user__email"]
    list_select_related = ["user", "newsletter"]
    date_hierarchy = "created_at"
