"""Staff's side of market development funds: tier rules, allocations with their balance (added
by hand or for a period by tier rule), requests managers approve or reject, claims finance
approves or rejects (never the manager who approved the request), and the ROI per partner."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from prm.admin import ReadOnlyInline, ask_then_run, counted, run_for_each
from prm.audit import AuditedAdmin
from prm.errors import error_messages, form_errors_from
from prm.money import format_money, round_money

from ..forms.funds import AllocationPeriodForm, ApproveForm, ReasonForm
from ..models import ClaimProof, FundAllocation, FundClaim, FundRequest, FundTierRule
from ..selectors import funds as selectors
from ..services import funds as services

# Partners a page of the return-per-partner table.
ROI_PER_PAGE = 50


@admin.register(FundTierRule)
class FundTierRuleAdmin(AuditedAdmin):
    list_display = ["tier", "period", "amount", "currency", "active"]
    list_filter = ["active", "period"]
    list_select_related = ["tier"]


def _money_column(field: str, description: str):
    @admin.display(description=description)
    def column(self, allocation):
        return f"{round_money(getattr(allocation, field)):,.2f}"  # the currency has its own column

    return column


@admin.register(FundAllocation)
class FundAllocationAdmin(AuditedAdmin):
    fields = ["partner", "period_start", "period_end", "currency", "allocated", "note"]
    list_display = [
        "partner_period",
        "available_column",
        "allocated_column",
        "requested_column",
        "approved_column",
        "reimbursed_column",
        "expired_column",
    ]
    list_filter = ["source", "currency", "period_start"]
    list_select_related = ["partner"]
    search_fields = ["partner__name"]
    change_list_template = "admin/marketing/fundallocation/change_list.html"

    allocated_column = _money_column("allocated", "allocated")
    requested_column = _money_column("requested", "requested")
    expired_column = _money_column("expired", "expired")

    # Parts shown under their whole, so the list fits 1366 px and says what each is a part of.
    @admin.display(description="approved")
    def approved_column(self, allocation):
        return format_html(
            "{}<br><small>of which {} claimed</small>",
            f"{round_money(allocation.approved):,.2f}",
            f"{round_money(allocation.claimed):,.2f}",
        )

    @admin.display(description="reimbursed")
    def reimbursed_column(self, allocation):
        return format_html(
            "{}<br><small>of which {} paid out</small>",
            f"{round_money(allocation.reimbursed):,.2f}",
            f"{round_money(allocation.paid):,.2f}",
        )

    @admin.display(description="partner and period", ordering="period_start")
    def partner_period(self, allocation):
        return format_html(
            "{}<br><small>{} – {}</small>",
            allocation.partner.name,
            f"{allocation.period_start:%d %b}",
            f"{allocation.period_end:%d %b %Y}",
        )

    @admin.display(description="available")
    def available_column(self, allocation):
        return format_money(round_money(allocation.available), allocation.currency)

    def get_queryset(self, request):
        return selectors.with_balances(super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # money: kept as the record of what was allocated, drawn and reimbursed

    def get_readonly_fields(self, request, obj=None):
        return ["partner", "period_start", "period_end", "currency", "allocated", "note"] if obj else []

    def save_model(self, request, obj, form, change):
        """Adding by hand goes through the service (no two allocations of a partner overlap)."""
        data = form.cleaned_data
        try:
            created = services.allocation_create(
                partner=data["partner"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                currency=data["currency"],
                allocated=data["allocated"],
                note=data.get("note", ""),
                by=request.user,
            )
        except ValidationError as error:
            raise _Refused(form, error) from error
        obj.pk = created.pk

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except _Refused as refused:
            for message in error_messages(refused.error):
                messages.error(request, message)
            return redirect(request.get_full_path())

    def get_urls(self):
        return [
            path("allocate/", self.admin_site.admin_view(self.allocate_view), name="marketing_fundallocation_allocate"),
            path("roi/", self.admin_site.admin_view(self.roi_view), name="marketing_fundallocation_roi"),
            *super().get_urls(),
        ]

    def allocate_view(self, request):
        """Allocate for a period by tier rule (idempotent: partners with an allocation are skipped)."""
        if not request.user.has_perm("marketing.add_fundallocation"):
            raise PermissionDenied
        form = AllocationPeriodForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                created = services.allocations_for_period(on=form.cleaned_data["on"], by=request.user)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                if created:
                    messages.success(
                        request, counted(("{count} allocation created.", "{count} allocations created."), len(created))
                    )
                else:
                    messages.info(request, "Every partner of a ruled tier already has an allocation for this period.")
                return redirect("admin:marketing_fundallocation_changelist")
        return render(
            request,
            "admin/marketing/fundallocation/allocate.html",
            {
                **self.admin_site.each_context(request),
                "title": "Allocate funds for a period by tier rule",
                "form": form,
                "rules": FundTierRule.objects.filter(active=True).select_related("tier"),
                "opts": self.model._meta,
            },
        )

    def roi_view(self, request):
        """Return on funded activities per partner: cost against leads, deals and won revenue."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        page = Paginator(selectors.roi_by_partner(), ROI_PER_PAGE).get_page(request.GET.get("page"))
        return render(
            request,
            "admin/marketing/fundallocation/roi.html",
            {
                **self.admin_site.each_context(request),
                "title": "Market development funds: return per partner",
                "rows": page.object_list,
                "page": page,
                "opts": self.model._meta,
            },
        )


class _Refused(Exception):
    def __init__(self, form, error):
        super().__init__(str(error))
        self.form, self.error = form, error


class _DecidePage:
    """The change page of a waiting request or claim decides it: its Approve and Reject forms
    post back to the page, and a refusal (overspending, a missing reason, four eyes) comes back
    to that page with the message beside its field and what was typed kept."""

    decide_forms: dict = {}  # "approve"/"reject" -> form class
    decided: dict = {}  # "approve"/"reject" -> the message when done

    def decide(self, request, obj, choice: str, values: dict):  # pragma: no cover - overridden
        raise NotImplementedError

    def change_view(self, request, object_id, form_url="", extra_context=None):
        choice = request.POST.get("_decide") if request.method == "POST" else None
        if choice in self.decide_forms:
            if not self.has_change_permission(request):
                raise PermissionDenied
            obj = self.get_object(request, object_id)
            if obj is None:
                raise Http404
            form = self.decide_forms[choice](request.POST)
            if form.is_valid():
                try:
                    self.decide(request, obj, choice, form.cleaned_data)
                except ValidationError as error:
                    if hasattr(error, "error_dict") and set(error.message_dict) & set(form.fields):
                        form_errors_from(form, error)  # beside its field
                    else:  # a state conflict, a double click: no field's fault
                        for message in error_messages(error):
                            messages.error(request, message)
                except PermissionDenied as error:  # four eyes
                    messages.error(request, str(error))
                else:
                    messages.success(request, self.decided[choice])
                    return redirect(request.path)
            extra_context = {**(extra_context or {}), "decide_bound": {choice: form}}
            request.method = "GET"  # show the page again, the refused form bound
        return super().change_view(request, object_id, form_url, extra_context)


class _NoFields(forms.Form):
    pass


class ClaimInline(ReadOnlyInline):
    model = FundClaim
    fields = ["amount", "leads_generated", "status", "submitted_at", "decided_by", "decision_reason"]


@admin.register(FundRequest)
class FundRequestAdmin(_DecidePage, AuditedAdmin):
    list_display = ["title", "partner", "dates", "planned_column", "approved_column", "status"]  # fits 1366 px
    list_filter = ["status", "activity_type"]
    list_select_related = ["partner", "allocation"]
    search_fields = ["title", "partner__name"]
    readonly_fields = [
        "partner",
        "allocation",
        "activity_type",
        "title",
        "starts_on",
        "ends_on",
        "planned_cost",
        "expected_leads",
        "description",
        "status",
        "submitted_by",
        "submitted_at",
        "approved_amount",
        "decided_by",
        "decided_at",
        "decision_reason",
        "claim_deadline",
        "expired_at",
        "roi",
    ]
    fields = readonly_fields
    inlines = [ClaimInline]
    actions = ["approve", "reject"]
    change_form_template = "admin/marketing/decide_change_form.html"

    decide_forms = {"approve": ApproveForm, "reject": ReasonForm}
    decided = {"approve": "The request is approved; the partner is told.", "reject": "The request is rejected."}

    def decide(self, request, obj, choice, values):
        if choice == "approve":
            services.fund_request_approve(request=obj, amount=values["amount"], by=request.user)
        else:
            services.fund_request_reject(request=obj, reason=values["reason"], by=request.user)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        """The Approve (amount) and Reject (reason) forms, with the allocation's available balance."""
        if obj is not None and obj.status == FundRequest.Status.SUBMITTED and self.has_change_permission(request):
            bound = context.get("decide_bound") or {}
            context["decide"] = {
                "approve_form": bound.get("approve") or ApproveForm(initial={"amount": obj.planned_cost}),
                "approve_label": "Approve",
                "reject_form": bound.get("reject") or ReasonForm(),
                "available": format_money(selectors.available_of(obj.allocation), obj.allocation.currency),
            }
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @admin.display(description="dates", ordering="starts_on")
    def dates(self, fund_request):
        return f"{fund_request.starts_on:%d %b} – {fund_request.ends_on:%d %b %Y}"

    @admin.display(description="planned")
    def planned_column(self, fund_request):
        return format_money(fund_request.planned_cost, fund_request.allocation.currency)

    @admin.display(description="approved")
    def approved_column(self, fund_request):
        if fund_request.approved_amount is None:
            return "—"
        return format_money(fund_request.approved_amount, fund_request.allocation.currency)

    @admin.display(description="return on investment")
    def roi(self, fund_request):
        found = selectors.roi_of(selectors.with_roi(FundRequest.objects.filter(pk=fund_request.pk)))[fund_request.pk]
        cost = ", ".join(format_money(a, c) for c, a in found.cost.items()) or "—"
        won = ", ".join(format_money(a, c) for c, a in found.won_revenue.items()) or "—"
        leads = counted(("{count} lead", "{count} leads"), found.leads)
        deals = counted(("{count} deal registered", "{count} deals registered"), found.deals)
        return f"cost {cost}; {leads}; {deals}, {found.won_deals} won; revenue won {won}"

    def has_add_permission(self, request):
        return False  # partners request funds in the portal or the API

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # money: kept as the record of what was allocated, drawn and reimbursed

    @admin.action(description="Approve (an amount, or the planned cost)…", permissions=["change"])
    def approve(self, request, queryset):
        return ask_then_run(
            self,
            request,
            queryset,
            form_class=ApproveForm,
            title="Approve fund requests",
            submit="Approve and notify the partners",
            done_message=("{count} request approved.", "{count} requests approved."),
            action=lambda r, amount: services.fund_request_approve(request=r, amount=amount, by=request.user),
        )

    @admin.action(description="Reject with a reason…", permissions=["change"])
    def reject(self, request, queryset):
        return ask_then_run(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Reject fund requests",
            submit="Reject and notify the partners",
            done_message=("{count} request rejected.", "{count} requests rejected."),
            action=lambda r, reason: services.fund_request_reject(request=r, reason=reason, by=request.user),
        )


class ProofInline(ReadOnlyInline):
    model = ClaimProof
    fields = ["download", "kind", "size", "uploaded_at"]

    @admin.display(description="file")
    def download(self, proof):
        # The row already names the file (the inline shows each proof's name): the link says what it does.
        return format_html('<a href="{}">Download</a>', reverse("funds:proof", args=[proof.pk]))


@admin.register(FundClaim)
class FundClaimAdmin(_DecidePage, AuditedAdmin):
    list_display = ["request", "partner", "amount_column", "leads_generated", "status", "submitted_at", "approved_by"]
    list_filter = ["status"]
    list_select_related = ["partner", "request__allocation", "request__decided_by"]
    search_fields = ["request__title", "partner__name"]
    readonly_fields = [
        "request",
        "partner",
        "amount_column",
        "approved_amount",
        "leads_generated",
        "results",
        "status",
        "submitted_by",
        "submitted_at",
        "approved_by",
        "decided_by",
        "decided_at",
        "decision_reason",
        "reimbursed",
        "reimbursement_line",
        "deals",
    ]
    fields = readonly_fields
    inlines = [ProofInline]
    actions = ["approve", "reject"]
    change_form_template = "admin/marketing/decide_change_form.html"

    decide_forms = {"approve": _NoFields, "reject": ReasonForm}
    decided = {
        "approve": "The claim is approved; its reimbursement is booked.",
        "reject": "The claim is refused; the partner is told why.",
    }

    def decide(self, request, obj, choice, values):
        if choice == "approve":
            services.fund_claim_approve(claim=obj, by=request.user)
        else:
            services.fund_claim_reject(claim=obj, reason=values["reason"], by=request.user)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        """Approve and Reject (reason) forms for finance; who approved the request is shown, as
        that person may not decide the claim (four eyes)."""
        if obj is not None and obj.status == FundClaim.Status.SUBMITTED and self.has_change_permission(request):
            bound = context.get("decide_bound") or {}
            context["decide"] = {
                "approve_form": bound.get("approve"),
                "approve_label": "Approve and book the reimbursement",
                "reject_form": bound.get("reject") or ReasonForm(),
                "four_eyes": obj.request.decided_by_id == request.user.pk,
            }
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @admin.display(description="request's approved amount")
    def approved_amount(self, claim):
        return format_money(claim.request.approved_amount, claim.request.allocation.currency)

    @admin.display(description="amount claimed")
    def amount_column(self, claim):
        return format_money(claim.amount, claim.request.allocation.currency)

    @admin.display(description="reimbursed amount")
    def reimbursed(self, claim):
        if claim.reimbursed_amount is None:
            return "—"
        return format_money(claim.reimbursed_amount, claim.request.allocation.currency)

    @admin.display(description="request approved by")
    def approved_by(self, claim):
        return claim.request.decided_by or "—"

    @admin.display(description="deals linked")
    def deals(self, claim):
        links = claim.request.deal_links.select_related("deal")
        return format_html_join(", ", "{} ({})", ((link.deal.customer_name, link.deal.status) for link in links)) or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # money: kept as the record of what was allocated, drawn and reimbursed

    @admin.action(description="Approve and book the reimbursement", permissions=["change"])
    def approve(self, request, queryset):
        run_for_each(
            request,
            queryset,
            lambda c: services.fund_claim_approve(claim=c, by=request.user),
            ("{count} claim approved; its reimbursement is booked.", "{count} claims approved; reimbursements booked."),
        )

    @admin.action(description="Reject with a reason…", permissions=["change"])
    def reject(self, request, queryset):
        return ask_then_run(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Reject claims",
            submit="Reject and notify the partners",
            done_message=("{count} claim rejected.", "{count} claims rejected."),
            action=lambda c, reason: services.fund_claim_reject(claim=c, reason=reason, by=request.user),
        )


@admin.register(ClaimProof)
class ClaimProofAdmin(admin.ModelAdmin):
    list_display = ["name", "download", "kind", "claim", "size", "uploaded_at"]
    list_select_related = ["claim__request"]
    readonly_fields = ["claim", "kind", "name", "size", "uploaded_by", "uploaded_at", "download"]
    fields = readonly_fields

    @admin.display(description="download")
    def download(self, proof):
        return format_html('<a href="{}">Download</a>', reverse("funds:proof", args=[proof.pk]))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
