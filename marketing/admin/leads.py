"""Lead distribution in the admin: routing rules (lists chosen with multi-selects and checkboxes),
leads (entered through ``lead_create``, read-only afterwards, with their offers and the reasons
of each; actions route again, offer to a chosen partner, close), the CSV import page, and offers
(read-only)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django_countries.filters import CountryFilter

from partners.models import Partner
from prm.admin import ReadOnlyInline, counted, run_for_each
from prm.audit import AuditedAdmin
from prm.errors import error_messages, form_errors_from
from prm.scoping import scopes_disabled

from ..forms.leads import LeadAdminForm, LeadCloseForm, LeadImportForm, RoutingRuleForm, lead_offer_to_form
from ..models import Lead, LeadOffer, RoutingRule
from ..services import leads as services


class _Refused(Exception):
    def __init__(self, lead, error):
        super().__init__(str(error))
        self.lead, self.error = lead, error


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
    form = RoutingRuleForm
    list_display = [
        "order",
        "name",
        "active",
        "countries_display",
        "partner_types_display",
        "specializations_display",
        "minimum_tier",
        "monthly_capacity",
        "prefer_win_rate",
    ]
    list_display_links = ["name"]
    list_filter = ["active", "prefer_win_rate"]
    list_select_related = ["minimum_tier"]
    ordering = ["order", "id"]
    fieldsets = [
        (None, {"fields": ["name", "order", "active"]}),
        ("Which leads", {"fields": ["countries", "product_interests", "extra_product_interests"]}),
        (
            "Which partners",
            {"fields": ["partner_types", "specializations", "minimum_tier", "partner_in_lead_country"]},
        ),
        ("Choice among them", {"fields": ["monthly_capacity", "prefer_win_rate"]}),
    ]

    @admin.display(description="countries")
    def countries_display(self, rule):
        return ", ".join(rule.countries) or "any"

    @admin.display(description="partner types")
    def partner_types_display(self, rule):
        return ", ".join(rule.partner_types) or "any"

    @admin.display(description="specializations")
    def specializations_display(self, rule):
        return ", ".join(rule.specializations) or "any"


class OfferPanel(ReadOnlyInline):
    model = LeadOffer
    fields = ["partner", "status", "reasons", "offered_at", "accept_by", "responded_at", "decline_reason"]
    verbose_name_plural = "offers (why each partner was chosen)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner").order_by("offered_at", "id")


class PartnerFilter(admin.SimpleListFilter):
    """The partner holding the lead now (offered to it, or accepted by it)."""

    title = "partner"
    parameter_name = "partner"

    def lookups(self, request, model_admin):
        return [(p.pk, p.name) for p in Partner.objects.filter(leads__isnull=False).distinct().order_by("name")]

    def queryset(self, request, queryset):
        return queryset.filter(partner_id=self.value()) if self.value() else queryset


@admin.register(Lead)
class LeadAdmin(AuditedAdmin):
    form = LeadAdminForm
    list_display = ["company", "country", "product_interest", "status", "partner", "refusals", "created_at"]
    list_filter = ["status", "source", ("country", CountryFilter), PartnerFilter]
    search_fields = ["company", "domain", "contact_email", "contact_name", "campaign"]
    list_select_related = ["partner"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"
    actions = ["route_again", "offer_to_partner", "close_leads"]
    inlines = [OfferPanel]
    readonly_fields = [
        "status",
        "partner",
        "deal_link",
        "refusals",
        "return_reason",
        "source",
        "created_by",
        "created_at",
    ]

    def get_fieldsets(self, request, obj=None):
        lead_fields = list(services.LEAD_FIELDS)
        if obj is None:
            return [(None, {"fields": lead_fields})]
        return [
            ("Status", {"fields": ["status", "partner", "deal_link", "refusals", "return_reason"]}),
            ("Lead", {"fields": [*lead_fields, "source", "created_by", "created_at"]}),
        ]

    def get_inlines(self, request, obj):
        return [OfferPanel] if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # The page of a lead is read-only: it changes through the routing and the actions.
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # a lead's offers are the record of the routing

    @admin.display(description="deal")
    def deal_link(self, lead):
        if not lead.deal_id:
            return "—"
        return format_html(
            '<a href="{}">Registration #{}</a>',
            reverse("admin:deals_dealregistration_change", args=[lead.deal_id]),
            lead.deal_id,
        )

    def save_model(self, request, obj, form, change):
        lead = services.lead_create(data=form.cleaned_data, by=request.user, source=Lead.Source.ADMIN)
        obj.pk = lead.pk

    def save_related(self, request, form, formsets, change):
        pass  # the lead has no related rows of its own to save

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)

        class Checked(base):
            def clean(self):
                cleaned = super().clean()
                if not self.errors:
                    try:
                        lead = services.lead_validated(data=cleaned, source=Lead.Source.ADMIN)
                    except ValidationError as error:
                        form_errors_from(self, error)
                    else:
                        cleaned["domain"] = lead.domain
                return cleaned

        return Checked

    def response_add(self, request, obj, post_url_continue=None):
        lead = Lead.objects.select_related("partner").get(pk=obj.pk)
        if lead.status == Lead.Status.OFFERED:
            messages.success(request, f"{lead.company} is offered to {lead.partner.name}.")
        else:
            messages.warning(request, f"{lead.company} is back with the managers: {lead.return_reason}")
        return redirect("admin:marketing_lead_change", lead.pk)

    # --- actions -------------------------------------------------------------------------------

    @admin.action(description="Route again (skips partners already offered)", permissions=["change"])
    def route_again(self, request, queryset):
        run_for_each(
            request,
            queryset,
            lambda lead: services.lead_reroute(lead=lead, by=request.user),
            ("{count} lead routed again.", "{count} leads routed again."),
        )

    def _ask_then_run_all(self, request, queryset, *, form_class, title, submit, done_message, action):
        """Like ``ask_then_run``, all or nothing: a refusal for any selected lead comes back to the
        same form, next to its field, with what was typed kept; nothing is changed then."""
        field = next(iter(form_class.base_fields))
        form = form_class(request.POST if field in request.POST else None)
        if form.is_valid():
            leads = list(queryset)
            try:
                with transaction.atomic():
                    for lead in leads:
                        try:
                            action(lead, form.cleaned_data[field])
                        except ValidationError as error:
                            raise _Refused(lead, error) from error
            except _Refused as refused:
                prefix = f"{refused.lead.company}: " if len(leads) > 1 else ""
                error = refused.error
                if hasattr(error, "error_dict"):
                    for name, texts in error.message_dict.items():
                        form.add_error(name if name in form.fields else None, [prefix + t for t in texts])
                else:
                    form.add_error(None, [prefix + t for t in error.messages])
            else:
                self.message_user(request, counted(done_message, len(leads)), messages.SUCCESS)
                return None
        return render(
            request,
            "admin/reason_action.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "objects": queryset,
                "form": form,
                "action": request.POST.get("action", ""),
                "opts": self.model._meta,
                "submit": submit,
            },
        )

    @admin.action(description="Offer to a partner of your choice…", permissions=["change"])
    def offer_to_partner(self, request, queryset):
        return self._ask_then_run_all(
            request,
            queryset,
            form_class=lead_offer_to_form(queryset),
            title="Offer leads to a partner",
            submit="Offer and notify the partner",
            done_message=("{count} lead offered.", "{count} leads offered."),
            action=lambda lead, partner: services.lead_offer_to(lead=lead, partner=partner, by=request.user),
        )

    @admin.action(description="Close with a reason…", permissions=["change"])
    def close_leads(self, request, queryset):
        return self._ask_then_run_all(
            request,
            queryset,
            form_class=LeadCloseForm,
            title="Close leads",
            submit="Close",
            done_message=("{count} lead closed.", "{count} leads closed."),
            action=lambda lead, reason: services.lead_close(lead=lead, by=request.user, reason=reason),
        )

    # --- the import page -----------------------------------------------------------------------

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="marketing_lead_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a CSV of leads; any failing row imports nothing and every error is listed."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LeadImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                with scopes_disabled():
                    leads = services.leads_import_csv(file=form.cleaned_data["file"], by=request.user)
            except ValidationError as error:
                errors = error.message_dict.get("file", []) if hasattr(error, "error_dict") else error.messages
                errors = errors or error_messages(error)
            else:
                messages.success(
                    request,
                    counted(("{count} lead imported and routed.", "{count} leads imported and routed."), len(leads)),
                )
                return redirect("admin:marketing_lead_changelist")
        return render(
            request,
            "admin/marketing/lead/import.html",
            {
                **self.admin_site.each_context(request),
                "title": "Import leads from CSV",
                "form": form,
                "errors": errors,
                "columns": services.LEAD_FIELDS,
                "opts": self.model._meta,
            },
        )


@admin.register(LeadOffer)
class LeadOfferAdmin(admin.ModelAdmin):
    """Read-only: offers are the record of the routing (they keep no audit history of their own)."""

    list_display = ["lead_company", "partner", "status", "offered_at", "accept_by"]
    list_filter = ["status", "partner"]
    search_fields = ["lead__company", "partner__name", "reasons"]
    list_select_related = ["lead", "partner"]
    ordering = ["-offered_at", "-id"]

    @admin.display(description="lead", ordering="lead__company")
    def lead_company(self, offer):
        return offer.lead.company

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
