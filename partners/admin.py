from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext
from django_countries.filters import CountryFilter

from prm.admin import ReadOnlyInline, ReasonForm, ask_then_run, counted, run_for_each
from prm.audit import AuditedAdmin
from prm.errors import form_errors_from
from prm.forms import CommaSeparatedField
from prm.roles import PARTNER_ROLES, Role
from prm.scoping import scopes_disabled

from . import services, tasks
from .forms import BankNumbersFormMixin
from .models import (
    MAX_SPECIALIZATIONS,
    Agreement,
    AgreementSignature,
    Application,
    FitCriterion,
    Invitation,
    OnboardingTask,
    OnboardingTaskTemplate,
    Partner,
    PayoutDetails,
    StatusChange,
    Tier,
    TierChange,
    User,
)
from .services.organization import CREATE_FIELDS, STAFF_EDIT_FIELDS


@admin.register(Tier)
class TierAdmin(AuditedAdmin):
    list_display = [
        "name",
        "rank",
        "min_won_revenue_12m",
        "min_certified_users",
        "commission_uplift_percent",
        "protection_days",
    ]
    ordering = ["rank"]


class MemberInline(ReadOnlyInline):
    """Members are changed on their own page (role and access go through the team services)."""

    model = User
    fk_name = "partner"
    fields = ["email", "full_name", "role", "is_active", "last_login"]
    show_change_link = True


class InvitationInline(ReadOnlyInline):
    model = Invitation
    fields = ["email", "role", "created_at", "expires_at", "accepted_at"]


class OnboardingTaskInline(ReadOnlyInline):
    model = OnboardingTask
    fields = ["title", "event", "required", "done_at", "done_by"]


class TierChangeInline(ReadOnlyInline):
    model = TierChange
    fields = ["changed_at", "from_tier", "to_tier", "changed_by", "reason"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("from_tier", "to_tier", "changed_by")


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = ["changed_at", "from_status", "to_status", "changed_by", "reason"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


class PayoutDetailsInline(admin.StackedInline):
    """Bank numbers appear masked only (finance gets them in full in exports)."""

    model = PayoutDetails
    fields = ["method", "currency", "account_holder", "account_hint", "bic", "paypal_email", "updated_at", "updated_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # partner admins enter them in the portal


class SignatureInline(ReadOnlyInline):
    model = AgreementSignature
    fields = ["agreement", "signer_name", "signed_at", "ip_address", "pdf_link"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("agreement")

    @admin.display(description="signed PDF")
    def pdf_link(self, obj):
        return _signature_pdf_link(obj)


def _signature_pdf_link(signature):
    if not signature.pk:
        return "—"
    if not signature.pdf:
        return "being prepared by a worker"
    return format_html(
        '<a href="{}">Download</a>', reverse("admin:partners_agreementsignature_pdf", args=[signature.pk])
    )


class PartnerAdminForm(forms.ModelForm):
    """Adding and editing a partner; status and tier change through actions, with a reason."""

    specializations = CommaSeparatedField(label="Specializations", max_items=MAX_SPECIALIZATIONS)

    class Meta:
        model = Partner
        fields = list(STAFF_EDIT_FIELDS)


class TierReasonForm(forms.Form):
    tier = forms.ModelChoiceField(queryset=Tier.objects.order_by("rank"), empty_label=None)
    reason = forms.CharField(
        max_length=300, widget=forms.Textarea(attrs={"rows": 3}), help_text="Kept in the tier history."
    )


@admin.register(Partner)
class PartnerAdmin(AuditedAdmin):
    """Partners are created through partner_create (onboarding, entry tier, checklist) and
    edited through partner_update; status and tier are read-only here and change by actions."""

    form = PartnerAdminForm
    list_display = [
        "name",
        "status",
        "tier",
        "partner_type",
        "country",
        "onboarding_progress",
        "time_to_onboard",
        "created_at",
    ]
    list_filter = ["status", "tier", "partner_type", ("country", CountryFilter)]
    search_fields = ["name", "website", "domain"]
    list_select_related = ["tier"]
    readonly_fields = [
        "status",
        "tier",
        "domain",
        "created_at",
        "activated_at",
        "onboarding_progress_at",
        "onboarding_reminded_at",
    ]
    inlines = [
        OnboardingTaskInline,
        StatusChangeInline,
        TierChangeInline,
        SignatureInline,
        PayoutDetailsInline,
        MemberInline,
        InvitationInline,
    ]
    actions = ["remind_now", "activate", "suspend", "reactivate", "terminate", "change_tier"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                task_count=Count("onboarding_tasks", distinct=True),
                tasks_done=Count("onboarding_tasks", filter=Q(onboarding_tasks__done_at__isnull=False), distinct=True),
            )
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(CREATE_FIELDS)
        return ["name", "status", "tier", *[f for f in STAFF_EDIT_FIELDS if f != "name"], *self.readonly_fields[2:]]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description="onboarding")
    def onboarding_progress(self, obj):
        if not obj.task_count:
            return "—"
        return f"{round(100 * obj.tasks_done / obj.task_count)}% ({obj.tasks_done}/{obj.task_count})"

    @admin.display(description="time to onboard")
    def time_to_onboard(self, obj):
        if obj.activated_at:
            return counted(("{count} day", "{count} days"), (obj.activated_at - obj.created_at).days)
        return "in progress" if obj.status == Partner.Status.ONBOARDING else "—"

    def save_model(self, request, obj, form, change):
        if change:
            data = {field: form.cleaned_data[field] for field in form.changed_data if field in STAFF_EDIT_FIELDS}
            saved = services.partner_update(partner=obj, by=request.user, data=data)
        else:
            saved = services.partner_create(
                data={field: form.cleaned_data[field] for field in CREATE_FIELDS}, by=request.user
            )
        for field in Partner._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state = saved._state

    @admin.action(description="Send the onboarding reminder now")
    def remind_now(self, request, queryset):
        count = services.onboarding_remind(partner_ids=list(queryset.values_list("pk", flat=True)), by=request.user)
        skipped = queryset.count() - count
        messages.success(
            request,
            ngettext(
                "%(n)d partner was reminded of its onboarding.",
                "%(n)d partners were reminded of their onboarding.",
                count,
            )
            % {"n": count},
        )
        if skipped:
            messages.warning(
                request,
                ngettext(
                    "%(n)d selected partner is not onboarding and was not reminded.",
                    "%(n)d selected partners are not onboarding and were not reminded.",
                    skipped,
                )
                % {"n": skipped},
            )

    def _status_action(self, request, queryset, *, status, title, submit, done):
        return ask_then_run(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title=title,
            submit=submit,
            done_message=done,
            action=lambda partner, reason: services.partner_set_status(
                partner=partner, status=status, by=request.user, reason=reason
            ),
        )

    @admin.action(description="Activate now, waiving the rest of the checklist…")
    def activate(self, request, queryset):
        return self._status_action(
            request,
            queryset,
            status=Partner.Status.ACTIVE,
            title="Activate before the onboarding checklist is done",
            submit="Activate",
            done=("{count} partner is active.", "{count} partners are active."),
        )

    @admin.action(description="Suspend with a reason…")
    def suspend(self, request, queryset):
        return self._status_action(
            request,
            queryset,
            status=Partner.Status.SUSPENDED,
            title="Suspend partners (their admins are e-mailed the reason)",
            submit="Suspend and notify",
            done=(
                "{count} partner suspended; its admins are told.",
                "{count} partners suspended; their admins are told.",
            ),
        )

    @admin.action(description="Reactivate with a reason…")
    def reactivate(self, request, queryset):
        return self._status_action(
            request,
            queryset,
            status=Partner.Status.ACTIVE,
            title="Reactivate suspended partners (their admins are e-mailed)",
            submit="Reactivate and notify",
            done=(
                "{count} partner reactivated; its admins are told.",
                "{count} partners reactivated; their admins are told.",
            ),
        )

    @admin.action(description="Terminate with a reason (final)…")
    def terminate(self, request, queryset):
        return self._status_action(
            request,
            queryset,
            status=Partner.Status.TERMINATED,
            title="Terminate partners: final; their users lose access and their admins are e-mailed the reason",
            submit="Terminate",
            done=(
                "{count} partner terminated; its users no longer sign in.",
                "{count} partners terminated; their users no longer sign in.",
            ),
        )

    @admin.action(description="Change tier with a reason…")
    def change_tier(self, request, queryset):
        return ask_then_run(
            self,
            request,
            queryset,
            form_class=TierReasonForm,
            title="Change the tier (kept in the tier history)",
            submit="Change tier",
            done_message=("{count} partner changed tier.", "{count} partners changed tier."),
            action=lambda partner, data: services.partner_tier_set(
                partner=partner, tier=data["tier"], by=request.user, reason=data["reason"]
            ),
        )


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    """A partner user's role and access change through the same services as the portal's team
    page (deactivation ends their API tokens and sessions); their organization never changes."""

    ordering = ["email"]
    list_display = ["email", "full_name", "role", "partner", "is_active", "last_login"]
    list_filter = ["role", "is_active", "partner"]
    list_select_related = ["partner"]
    search_fields = ["email", "full_name", "partner__name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "password"]}),
        ("Role", {"fields": ["role", "partner", "is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    partner_user_fieldsets = [
        (None, {"fields": ["email", "full_name", "password"]}),
        ("Organization", {"fields": ["partner", "role", "is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "role", "partner", "password1", "password2"]})]
    filter_horizontal = ["groups"]

    def get_fieldsets(self, request, obj=None):
        if obj is not None and obj.partner_id:
            return self.partner_user_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.partner_id:
            return [*self.readonly_fields, "partner"]
        return self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and obj.partner_id and "role" in form.base_fields:
            form.base_fields["role"].choices = [(r.value, r.label) for r in Role if r in PARTNER_ROLES]
        return form

    def save_model(self, request, obj, form, change):
        if not (change and obj.partner_id):
            super().save_model(request, obj, form, change)
            if change and "is_active" in form.changed_data and not obj.is_active:
                services.access_revoke(user=obj)  # a deactivated staff account is signed out too
            return
        stored = User.objects.get(pk=obj.pk)
        role, active = obj.role, obj.is_active
        obj.role, obj.is_active = stored.role, stored.is_active  # these two change through the services
        super().save_model(request, obj, form, change)
        if role != stored.role:
            services.team_member_set_role(member=obj, by=request.user, role=role)
        if active != stored.is_active:
            change_access = services.team_member_reactivate if active else services.team_member_deactivate
            change_access(member=obj, by=request.user)
        obj.refresh_from_db()


# Admin forms serve staff only, who see every partner: the form's partner choices are built
# once at import, outside any request, so they are built with scoping off on purpose.
with scopes_disabled():

    class InvitationForm(forms.ModelForm):
        class Meta:
            model = Invitation
            fields = ["partner", "email", "full_name", "role"]

        def clean(self):
            cleaned = super().clean()
            if cleaned.get("email") and cleaned.get("role"):
                try:
                    services.invitation_check(email=cleaned["email"], role=cleaned["role"])
                except ValidationError as error:
                    form_errors_from(self, error)
            return cleaned


@admin.register(Invitation)
class InvitationAdmin(AuditedAdmin):
    """Adding an invitation e-mails the link; invitations are never edited afterwards."""

    form = InvitationForm
    list_display = ["email", "partner", "role", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role", "accepted_at"]
    search_fields = ["email", "partner__name"]
    list_select_related = ["partner", "invited_by"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        invitation = services.invitation_send(
            partner=obj.partner, email=obj.email, role=obj.role, full_name=obj.full_name, invited_by=request.user
        )
        obj.pk = invitation.pk
        messages.success(request, f"An invitation was e-mailed to {invitation.email}.")


# --- Recruitment -------------------------------------------------------------------------------


class DuplicateFilter(admin.SimpleListFilter):
    title = "duplicate"
    parameter_name = "duplicate"

    def lookups(self, request, model_admin):
        return [("yes", "Possible duplicate"), ("no", "No duplicate")]

    def queryset(self, request, queryset):
        is_duplicate = Q(duplicate_of__isnull=False) | Q(duplicate_partner__isnull=False)
        if self.value() == "yes":
            return queryset.filter(is_duplicate)
        if self.value() == "no":
            return queryset.exclude(is_duplicate)
        return queryset


class PartnerActivatedFilter(admin.SimpleListFilter):
    """Approved applicants whose partner organization went live: the last step of the
    recruitment funnel (the program dashboard links here)."""

    title = "partner activated"
    parameter_name = "partner_activated"

    def lookups(self, request, model_admin):
        return [("yes", "Partner activated"), ("no", "Not (yet) activated")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(partner__activated_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(partner__activated_at__isnull=True)
        return queryset


@admin.register(Application)
class ApplicationAdmin(AuditedAdmin):
    list_display = [
        "company_name",
        "fit_score",
        "disqualified",
        "duplicate_flag",
        "free_mail_badge",
        "status",
        "owner",
        "partner_type",
        "country",
        "created_at",
    ]
    list_filter = [
        "status",
        DuplicateFilter,
        PartnerActivatedFilter,
        "free_mail_contact",
        "disqualified",
        "partner_type",
        "annual_revenue",
        ("country", CountryFilter),
        "owner",
    ]
    search_fields = ["company_name", "website", "contact_email", "contact_name"]
    list_select_related = ["owner", "duplicate_of", "duplicate_partner"]
    ordering = ["-created_at"]
    actions = ["take_into_screening", "approve", "reject", "rescore"]
    readonly_fields = [
        "company_name",
        "website",
        "country",
        "partner_type",
        "employees",
        "annual_revenue",
        "specializations",
        "contact_name",
        "contact_email",
        "free_mail_contact",
        "message",
        "status",
        "fit_score",
        "score_table",
        "disqualified",
        "disqualification_reason",
        "duplicate_of",
        "duplicate_partner",
        "website_domain",
        "email_domain",
        "rejection_reason",
        "decided_at",
        "decided_by",
        "partner",
        "created_at",
        "scored_at",
    ]
    fieldsets = [
        ("Stage", {"fields": ["status", "owner", "notes", "rejection_reason", "decided_at", "decided_by", "partner"]}),
        ("Fit", {"fields": ["fit_score", "disqualified", "disqualification_reason", "score_table", "scored_at"]}),
        ("Duplicates", {"fields": ["duplicate_of", "duplicate_partner", "website_domain", "email_domain"]}),
        (
            "Company",
            {
                "fields": [
                    "company_name",
                    "website",
                    "country",
                    "partner_type",
                    "employees",
                    "annual_revenue",
                    "specializations",
                ]
            },
        ),
        ("Contact", {"fields": ["contact_name", "contact_email", "free_mail_contact", "message", "created_at"]}),
    ]

    def has_add_permission(self, request):
        return False  # applications come from /apply/ and the API

    @admin.display(description="duplicate", boolean=True)
    def duplicate_flag(self, obj):
        return obj.is_duplicate

    @admin.display(description="contact e-mail", ordering="free_mail_contact")
    def free_mail_badge(self, obj):
        if not obj.free_mail_contact:
            return "—"
        return format_html(
            '<strong class="free-mail-badge" title="{}">free mail</strong>',
            "The contact e-mail is at a free-mail provider: check that the person works for the company.",
        )

    @admin.display(description="breakdown")
    def score_table(self, obj):
        if obj.score_breakdown:
            rows = format_html_join(
                "",
                "<tr><td>{}</td><td>{} / {}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        r["criterion"],
                        r["points"],
                        r["max_points"],
                        "met" if r["met"] else ("must-have failed" if r.get("must_have") else "not met"),
                        r["reason"],
                    )
                    for r in obj.score_breakdown
                ),
            )
            shown = format_html(
                "<table><thead><tr><th>Criterion</th><th>Points</th><th>Result</th><th>Why</th></tr></thead><tbody>{}</tbody></table>",
                rows,
            )
        else:
            shown = "No criteria in the ideal partner profile."
        if obj.free_mail_contact:
            return format_html(
                "{}<p>Not scored, but note: the contact wrote from a free-mail address ({}), not from the company's "
                "domain.</p>",
                shown,
                obj.contact_email,
            )
        return shown

    @admin.action(description="Take into screening (I own them)")
    def take_into_screening(self, request, queryset):
        run_for_each(
            request,
            queryset,
            lambda a: services.application_screen(application=a, by=request.user),
            ("{count} application is in screening.", "{count} applications are in screening."),
        )

    @admin.action(description="Approve: create the partner and invite the contact")
    def approve(self, request, queryset):
        run_for_each(
            request,
            queryset,
            lambda a: services.application_approve(application=a, by=request.user),
            (
                "{count} application approved; its contact is invited.",
                "{count} applications approved; their contacts are invited.",
            ),
        )

    @admin.action(description="Reject with a reason…")
    def reject(self, request, queryset):
        return ask_then_run(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Reject applications (the applicants are e-mailed the reason)",
            submit="Reject and notify",
            done_message=(
                "{count} application rejected; the applicant is told.",
                "{count} applications rejected; the applicants are told.",
            ),
            action=lambda a, reason: services.application_reject(application=a, by=request.user, reason=reason),
        )

    @admin.action(description="Re-score against the current profile")
    def rescore(self, request, queryset):
        count = services.applications_rescore(ids=list(queryset.values_list("pk", flat=True)))
        messages.success(request, counted(("{count} application re-scored.", "{count} applications re-scored."), count))


@admin.register(FitCriterion)
class FitCriterionAdmin(AuditedAdmin):
    list_display = ["name", "kind", "weight", "must_have", "active", "order"]
    list_editable = ["weight", "must_have", "active", "order"]
    list_filter = ["kind", "must_have", "active"]
    actions = ["rescore_open_applications"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "weight", "must_have", "active", "order"]}),
        (
            "Parameters (by kind)",
            {"fields": ["values", "min_employees", "max_employees", "min_revenue", "min_matches"]},
        ),
    ]

    @admin.action(description="Re-score every open application against the profile")
    def rescore_open_applications(self, request, queryset):
        tasks.rescore_applications.delay_on_commit()
        messages.success(request, "Open applications are being re-scored against the current profile.")


@admin.register(OnboardingTaskTemplate)
class OnboardingTaskTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "partner_type", "event", "required", "order"]
    list_filter = ["partner_type", "event", "required"]
    list_editable = ["required", "order"]


@admin.register(OnboardingTask)
class OnboardingTaskAdmin(AuditedAdmin):
    list_display = ["title", "partner", "required", "event", "done_at"]
    list_filter = ["required", "event", ("done_at", admin.EmptyFieldListFilter)]
    search_fields = ["partner__name", "title"]
    list_select_related = ["partner"]
    readonly_fields = ["partner", "key", "title", "description", "event", "required", "order", "done_at", "done_by"]
    actions = ["mark_done"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Mark done (steps no event closes)")
    def mark_done(self, request, queryset):
        run_for_each(
            request,
            queryset.select_related("partner"),
            lambda t: services.onboarding_task_complete(task=t, by=request.user),
            ("{count} task marked done.", "{count} tasks marked done."),
        )


@admin.register(Agreement)
class AgreementAdmin(AuditedAdmin):
    list_display = ["version", "title", "published_at", "text_sha256", "signature_count"]
    readonly_fields = ["text_sha256", "published_at", "created_at"]
    actions = ["publish"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(signature_total=Count("signatures"))

    @admin.display(description="signatures")
    def signature_count(self, obj):
        return obj.signature_total

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.is_published:  # a published text is never edited: write a new version
            return ["version", "title", "body_markdown", *self.readonly_fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return (obj is None or not obj.is_published) and super().has_delete_permission(request, obj)

    @admin.action(description="Publish (partners are asked to sign)")
    def publish(self, request, queryset):
        run_for_each(
            request,
            queryset.order_by("version"),
            lambda a: services.agreement_publish(agreement=a, by=request.user),
            ("{count} version published.", "{count} versions published."),
        )


@admin.register(AgreementSignature)
class AgreementSignatureAdmin(admin.ModelAdmin):
    """Signatures are evidence: read-only, never deleted."""

    list_display = ["partner", "agreement", "signer_name", "signer_email", "signed_at", "ip_address", "pdf_link"]
    # The PDF is private (no public URL): shown as a link to the staff download view.
    fields = [
        "partner",
        "agreement",
        "signer",
        "signer_name",
        "signer_email",
        "text_sha256",
        "signed_at",
        "ip_address",
        "user_agent",
        "pdf_link",
    ]
    readonly_fields = fields
    list_filter = ["agreement"]
    search_fields = ["partner__name", "signer_email", "signer_name"]
    list_select_related = ["partner", "agreement"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="signed PDF")
    def pdf_link(self, obj):
        return _signature_pdf_link(obj)

    def get_urls(self):
        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="partners_agreementsignature_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        signature = get_object_or_404(AgreementSignature.objects.select_related("agreement"), pk=pk)
        if not signature.pdf:
            # Rendered by a worker after signing; ask again (harmless) and say so instead of failing.
            services.agreement_pdf_enqueue(signature=signature)
            signature.refresh_from_db(fields=["pdf"])
        if not signature.pdf:
            messages.info(request, "The signed PDF is being prepared by a worker. Try the link again in a moment.")
            return redirect("admin:partners_agreementsignature_change", signature.pk)
        return FileResponse(
            signature.pdf.open("rb"),
            as_attachment=True,
            filename=f"agreement-v{signature.agreement.version}-{signature.partner_id}.pdf",
            content_type="application/pdf",
        )


class PayoutDetailsAdminForm(BankNumbersFormMixin, forms.ModelForm):
    class Meta:
        model = PayoutDetails
        fields = [
            "method",
            "currency",
            "account_holder",
            "iban",
            "bic",
            "routing_number",
            "account_number",
            "paypal_email",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_bank_numbers(change_bank_details=True)


@admin.register(PayoutDetails)
class PayoutDetailsAdmin(AuditedAdmin):
    """Bank numbers are shown masked and never rendered back; a number left empty is kept."""

    form = PayoutDetailsAdminForm
    list_display = ["partner", "method", "currency", "account_holder", "account_hint", "updated_at"]
    list_filter = ["method", "currency"]
    search_fields = ["partner__name", "account_holder"]
    list_select_related = ["partner"]
    readonly_fields = ["partner", "account_hint", "updated_at", "updated_by"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in form.cleaned_data}
        services.payout_details_save(partner=obj.partner, by=request.user, data=data)
