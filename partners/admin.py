from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django_countries.filters import CountryFilter

from prm.admin import ReadOnlyInline, ReasonForm, ask_then_run, run_for_each
from prm.audit import AuditedAdmin
from prm.scoping import scopes_disabled

from . import services, tasks
from .models import (
    Agreement,
    AgreementSignature,
    Application,
    FitCriterion,
    Invitation,
    OnboardingTask,
    OnboardingTaskTemplate,
    Partner,
    PayoutDetails,
    Tier,
    TierChange,
    User,
)


@admin.register(Tier)
class TierAdmin(AuditedAdmin):
    list_display = ["name", "rank", "min_won_revenue_12m", "min_certified_users", "commission_uplift_percent", "protection_days"]
    ordering = ["rank"]


class MemberInline(admin.TabularInline):
    model = User
    fk_name = "partner"
    fields = ["email", "full_name", "role", "is_active", "last_login"]
    readonly_fields = ["email", "last_login"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # people join by invitation


class InvitationInline(ReadOnlyInline):
    model = Invitation
    fields = ["email", "role", "created_at", "expires_at", "accepted_at"]

class OnboardingTaskInline(ReadOnlyInline):
    model = OnboardingTask
    fields = ["title", "event", "required", "done_at", "done_by"]

class TierChangeInline(ReadOnlyInline):
    model = TierChange
    fields = ["changed_at", "from_tier", "to_tier", "changed_by", "reason"]

class PayoutDetailsInline(admin.StackedInline):
    model = PayoutDetails
    fields = ["method", "currency", "account_holder", "iban", "bic", "routing_number", "account_number", "paypal_email", "updated_at", "updated_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # partner admins enter them in the portal


class SignatureInline(ReadOnlyInline):
    model = AgreementSignature
    fields = ["agreement", "signer_name", "signed_at", "ip_address", "pdf_link"]

    @admin.display(description="signed PDF")
    def pdf_link(self, obj):
        return _signature_pdf_link(obj)

def _signature_pdf_link(signature):
    if not signature.pk:
        return "—"
    if not signature.pdf:
        return "being prepared by a worker"
    return format_html('<a href="{}">Download</a>', reverse("admin:partners_agreementsignature_pdf", args=[signature.pk]))


class PartnerAdminForm(forms.ModelForm):
    tier_change_reason = forms.CharField(
        required=False, max_length=300, help_text="Required when you change the tier; kept in the tier history."
    )

    class Meta:
        model = Partner
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "tier" in self.changed_data and not cleaned.get("tier_change_reason"):
            self.add_error("tier_change_reason", "Say why the tier changes.")
        return cleaned


@admin.register(Partner)
class PartnerAdmin(AuditedAdmin):
    form = PartnerAdminForm
    list_display = ["name", "status", "tier", "partner_type", "country", "onboarding_progress", "time_to_onboard", "created_at"]
    list_filter = ["status", "tier", "partner_type", ("country", CountryFilter)]
    search_fields = ["name", "website", "domain"]
    list_select_related = ["tier"]
    readonly_fields = ["domain", "created_at", "activated_at", "onboarding_progress_at", "onboarding_reminded_at"]
    inlines = [OnboardingTaskInline, TierChangeInline, SignatureInline, PayoutDetailsInline, MemberInline, InvitationInline]
    actions = ["remind_now"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                task_count=Count("onboarding_tasks", distinct=True),
                tasks_done=Count("onboarding_tasks", filter=Q(onboarding_tasks__done_at__isnull=False), distinct=True),
            )
        )

    @admin.display(description="onboarding")
    def onboarding_progress(self, obj):
        if not obj.task_count:
            return "—"
        return f"{round(100 * obj.tasks_done / obj.task_count)}% ({obj.tasks_done}/{obj.task_count})"

    @admin.display(description="time to onboard")
    def time_to_onboard(self, obj):
        if obj.activated_at:
            return f"{(obj.activated_at - obj.created_at).days} days"
        return "in progress" if obj.status == Partner.Status.ONBOARDING else "—"

    def save_model(self, request, obj, form, change):
        if change and "tier" in form.changed_data:
            new_tier = obj.tier
            obj.tier = Partner.objects.get(pk=obj.pk).tier
            super().save_model(request, obj, form, change)
            services.partner_tier_set(partner=obj, tier=new_tier, by=request.user, reason=form.cleaned_data["tier_change_reason"])
        else:
            super().save_model(request, obj, form, change)
        if obj.website:
            from prm.domains import registrable_domain

            Partner.objects.filter(pk=obj.pk).update(domain=registrable_domain(obj.website) or "")

    @admin.action(description="Send the stalled-onboarding reminders now")
    def remind_now(self, request, queryset):
        count = services.onboarding_stalled_remind()
        messages.success(request, f"{count} stalled partners were reminded.")


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
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
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "role", "partner", "password1", "password2"]})]
    filter_horizontal = ["groups"]


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
                    self.add_error(None, error)
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


@admin.register(Application)
class ApplicationAdmin(AuditedAdmin):
    list_display = ["company_name", "fit_score", "disqualified", "duplicate_flag", "status", "owner", "partner_type", "country", "created_at"]
    list_filter = ["status", DuplicateFilter, "disqualified", "partner_type", "annual_revenue", ("country", CountryFilter), "owner"]
    search_fields = ["company_name", "website", "contact_email", "contact_name"]
    list_select_related = ["owner", "duplicate_of", "duplicate_partner"]
    ordering = ["-created_at"]
    actions = ["take_into_screening", "approve", "reject", "rescore"]
    readonly_fields = [
        "company_name", "website", "country", "partner_type", "employees", "annual_revenue", "specializations",
        "contact_name", "contact_email", "message", "status", "fit_score", "score_table", "disqualified",
        "disqualification_reason", "duplicate_of", "duplicate_partner", "website_domain", "email_domain",
        "rejection_reason", "decided_at", "decided_by", "partner", "created_at", "scored_at",
    ]
    fieldsets = [
        ("Stage", {"fields": ["status", "owner", "notes", "rejection_reason", "decided_at", "decided_by", "partner"]}),
        ("Fit", {"fields": ["fit_score", "disqualified", "disqualification_reason", "score_table", "scored_at"]}),
        ("Duplicates", {"fields": ["duplicate_of", "duplicate_partner", "website_domain", "email_domain"]}),
        ("Company", {"fields": ["company_name", "website", "country", "partner_type", "employees", "annual_revenue", "specializations"]}),
        ("Contact", {"fields": ["contact_name", "contact_email", "message", "created_at"]}),
    ]

    def has_add_permission(self, request):
        return False  # applications come from /apply/ and the API

    @admin.display(description="duplicate", boolean=True)
    def duplicate_flag(self, obj):
        return obj.is_duplicate

    @admin.display(description="breakdown")
    def score_table(self, obj):
        if not obj.score_breakdown:
            return "No criteria in the ideal partner profile."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} / {}</td><td>{}</td><td>{}</td></tr>",
            (
                (r["criterion"], r["points"], r["max_points"], "met" if r["met"] else ("must-have failed" if r.get("must_have") else "not met"), r["reason"])
                for r in obj.score_breakdown
            ),
        )
        return format_html("<table><thead><tr><th>Criterion</th><th>Points</th><th>Result</th><th>Why</th></tr></thead><tbody>{}</tbody></table>", rows)

    @admin.action(description="Take into screening (I own them)")
    def take_into_screening(self, request, queryset):
        run_for_each(request, queryset, lambda a: services.application_screen(application=a, by=request.user), "{count} applications are in screening.")

    @admin.action(description="Approve: create the partner and invite the contact")
    def approve(self, request, queryset):
        run_for_each(request, queryset, lambda a: services.application_approve(application=a, by=request.user), "{count} applications approved; the contacts are invited.")

    @admin.action(description="Reject with a reason…")
    def reject(self, request, queryset):
        return ask_then_run(
            self, request, queryset, form_class=ReasonForm, title="Reject applications (the applicants are e-mailed the reason)",
            submit="Reject and notify", done_message="{count} applications rejected; the applicants are told.",
            action=lambda a, reason: services.application_reject(application=a, by=request.user, reason=reason),
        )

    @admin.action(description="Re-score against the current profile")
    def rescore(self, request, queryset):
        count = services.applications_rescore(ids=list(queryset.values_list("pk", flat=True)))
        messages.success(request, f"{count} applications re-scored.")


@admin.register(FitCriterion)
class FitCriterionAdmin(AuditedAdmin):
    list_display = ["name", "kind", "weight", "must_have", "active", "order"]
    list_editable = ["weight", "must_have", "active", "order"]
    list_filter = ["kind", "must_have", "active"]
    actions = ["rescore_open_applications"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "weight", "must_have", "active", "order"]}),
        ("Parameters (by kind)", {"fields": ["values", "min_employees", "max_employees", "min_revenue", "min_matches"]}),
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
        run_for_each(request, queryset.select_related("partner"), lambda t: services.onboarding_task_complete(task=t, by=request.user), "{count} tasks marked done.")


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
        run_for_each(request, queryset.order_by("version"), lambda a: services.agreement_publish(agreement=a, by=request.user), "{count} versions published.")


@admin.register(AgreementSignature)
class AgreementSignatureAdmin(admin.ModelAdmin):
    """Signatures are evidence: read-only, never deleted."""

    list_display = ["partner", "agreement", "signer_name", "signer_email", "signed_at", "ip_address", "pdf_link"]
    # The PDF is private (no public URL): shown as a link to the staff download view.
    fields = ["partner", "agreement", "signer", "signer_name", "signer_email", "text_sha256", "signed_at", "ip_address", "user_agent", "pdf_link"]
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
        return FileResponse(signature.pdf.open("rb"), as_attachment=True, filename=f"agreement-v{signature.agreement.version}-{signature.partner_id}.pdf", content_type="application/pdf")


@admin.register(PayoutDetails)
class PayoutDetailsAdmin(AuditedAdmin):
    list_display = ["partner", "method", "currency", "account_holder", "updated_at"]
    list_filter = ["method", "currency"]
    search_fields = ["partner__name", "account_holder"]
    list_select_related = ["partner"]
    readonly_fields = ["partner", "updated_at", "updated_by"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in form.cleaned_data}
        services.payout_details_save(partner=obj.partner, by=request.user, data=data)
