"""Staff's side of cases: the queue (due or late first, with badges and the relationship health
summary), and a case page that lines up the contested registrations side by side with their
match reasons and the evidence, the whole thread, and the forms to reply, ask for evidence,
assign and resolve."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from partners.models import Partner, User
from prm.audit import AuditedAdmin
from prm.errors import error_messages
from prm.roles import MANAGER_ROLES

from . import selectors, services
from .forms import AttachmentsField
from .models import BODY_MAX, NOTE_MAX, Case, CaseOutcome


class StaffReplyForm(forms.Form):
    body = forms.CharField(label="Message", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    internal = forms.BooleanField(label="Internal note (never shown to partners)", required=False)
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(),
        required=False,
        label="To partner",
        help_text="Each partner reads only the messages addressed to it.",
    )
    attachments = AttachmentsField()


class EvidenceRequestForm(forms.Form):
    partner = forms.ModelChoiceField(queryset=Partner.objects.none(), label="Ask partner")
    due_on = forms.DateField(label="Due on", widget=forms.DateInput(attrs={"type": "date"}))
    instructions = forms.CharField(max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="Owner")
    priority = forms.ChoiceField(
        choices=Case.Priority.choices, label="Priority", help_text="The SLA due times follow the priority."
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=CaseOutcome.Outcome.choices)
    note = forms.CharField(
        label="Reason the partners are told",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Every involved partner reads this: do not name another partner.",
    )
    deal = forms.ChoiceField(label="Award to registration", required=False)
    split_percent = forms.DecimalField(
        label="Split: % of its commission to another partner", required=False, max_digits=5, decimal_places=2
    )
    split_partner = forms.ModelChoiceField(queryset=Partner.objects.none(), required=False, label="Split to partner")
    amount = forms.DecimalField(
        label="Adjustment amount",
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text="Negative to take commission back.",
    )
    currency = forms.CharField(
        max_length=3, required=False, help_text="Empty: the disputed line's or the partner's payout currency."
    )
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(),
        required=False,
        label="Adjust partner",
        help_text="Needed when several partners are involved.",
    )


def _forms_for(case, participants, deals, data=None, files=None, which=None):
    """The case page's forms; ``which`` is the one posted (bound), the others empty."""

    def bound(name):
        return (data, files) if which == name else (None, None)

    reply = StaffReplyForm(*bound("reply"), prefix="reply")
    evidence = EvidenceRequestForm(*bound("evidence"), prefix="evidence")
    assign = AssignForm(*bound("assign"), prefix="assign")
    resolve = ResolveForm(*bound("resolve"), prefix="resolve")
    ids = [p.pk for p in participants]
    for form, field in [(reply, "partner"), (evidence, "partner"), (resolve, "split_partner"), (resolve, "partner")]:
        form.fields[field].queryset = Partner.objects.filter(pk__in=ids).order_by("name")
    assign.fields["owner"].queryset = User.objects.filter(role__in=MANAGER_ROLES, is_active=True).order_by("email")
    if which != "assign":  # the case as it stands
        assign.initial = {"owner": case.owner_id, "priority": case.priority}
    resolve.fields["deal"].choices = [("", "—")] + [
        (d.pk, f"#{d.pk} {d.partner.name}: {d.customer_name} ({d.status})") for d in deals
    ]
    return {"reply_form": reply, "evidence_form": evidence, "assign_form": assign, "resolve_form": resolve}


@admin.register(Case)
class CaseAdmin(AuditedAdmin):
    list_display = ["number", "subject", "kind", "status_badge", "priority", "owner", "due_badge", "opened_at"]
    list_filter = ["status", "kind", "priority", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["subject", "participants__partner__name"]
    list_select_related = ["owner"]
    change_list_template = "admin/conflicts/case/change_list.html"
    change_form_template = "admin/conflicts/case/change_form.html"
    readonly_fields = [
        "kind",
        "subject",
        "status",
        "priority",
        "owner",
        "opened_by",
        "deal",
        "commission_line",
        "opened_at",
        "first_response_due",
        "resolution_due",
        "first_response_at",
        "resolved_at",
        "first_response_escalated_at",
        "resolution_escalated_at",
        "reopened_at",
    ]
    fieldsets = [
        (None, {"fields": ["kind", "subject", "status", "priority", "owner", "opened_by", "deal", "commission_line"]}),
        (
            "SLA",
            {
                "fields": [
                    "opened_at",
                    "first_response_due",
                    "first_response_at",
                    "resolution_due",
                    "resolved_at",
                    "first_response_escalated_at",
                    "resolution_escalated_at",
                    "reopened_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return selectors.case_queue().select_related("owner")

    def get_ordering(self, request):
        return selectors.QUEUE_ORDER  # due or late first, resolved last

    def has_add_permission(self, request):
        return False  # cases open from deals (conflicts) and from partners (disputes)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # A case changes only through its forms below (services), never by editing its fields.
        return False if obj is not None else super().has_change_permission(request)

    @admin.display(description="#", ordering="id")
    def number(self, case):
        return case.pk

    @admin.display(description="status", ordering="status")
    def status_badge(self, case):
        return format_html('<span class="case-badge case-badge-{}">{}</span>', case.status, case.get_status_display())

    @admin.display(description="due", ordering="next_due_at")
    def due_badge(self, case):
        due = case.next_due
        if due is None:
            return "resolved"
        now = timezone.now()
        if due < now:
            return format_html(
                '<strong class="case-badge case-badge-late">late since {}</strong>',
                timezone.localtime(due).strftime("%d %b %H:%M"),
            )
        if due < now + timezone.timedelta(hours=24):
            return format_html(
                '<strong class="case-badge case-badge-soon">due {}</strong>',
                timezone.localtime(due).strftime("%d %b %H:%M"),
            )
        return timezone.localtime(due).strftime("%d %b %Y %H:%M")

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "health": selectors.relationship_health()})

    # --- the case page ----------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/act/<str:which>/", view(self.act_view), name="conflicts_case_act"),
            *super().get_urls(),
        ]

    def _context(self, request, case, **forms_):
        participants = selectors.participants(case)
        deals = selectors.contested_registrations(case)
        if case.deal_id and all(d.pk != case.deal_id for d in deals):
            deals.append(case.deal)
        context = {
            "case": case,
            "participants": participants,
            "registrations": deals,
            "evidence": selectors.evidence_requests(case, user=request.user),
            "thread": selectors.case_thread(case, user=request.user),
            "outcomes": selectors.outcomes(case),
            "can_act": request.user.has_perm("conflicts.change_case") and request.user.role in MANAGER_ROLES,
        }
        context.update(_forms_for(case, participants, deals))
        context.update(forms_)
        return context

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = get_object_or_404(Case, pk=object_id)
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), **self._context(request, case)}
        )

    def act_view(self, request, pk, which):
        """The case page's forms post here; a refusal comes back on the same page with the form."""
        case = get_object_or_404(Case, pk=pk)
        if request.method != "POST" or which not in ("reply", "evidence", "assign", "resolve"):
            return redirect("admin:conflicts_case_change", pk)
        if not request.user.has_perm("conflicts.change_case"):
            raise PermissionDenied
        context = self._context(request, case)
        participants = context["participants"]
        bound = _forms_for(case, participants, context["registrations"], request.POST, request.FILES, which)
        form = bound[f"{which}_form"]
        if form.is_valid():
            data = form.cleaned_data
            try:
                if which == "reply":
                    services.case_post_message(case=case, by=request.user, **data)
                    done = "Your note is kept." if data["internal"] else "Your message is sent."
                elif which == "evidence":
                    services.evidence_request(case=case, by=request.user, **data)
                    done = f"Evidence is requested from {data['partner'].name}."
                elif which == "assign":
                    services.case_assign(case=case, by=request.user, owner=data["owner"], priority=data["priority"])
                    done = f"Case #{case.pk} is owned by {data['owner'].get_full_name()}, priority {data['priority']}."
                else:
                    chosen = data.pop("deal")
                    deal = next((d for d in context["registrations"] if str(d.pk) == chosen), None)
                    services.case_resolve(case=case, by=request.user, deal=deal, **data)
                    done = f"Case #{case.pk} is resolved."
            except ValidationError as error:
                for message in error_messages(error):
                    messages.error(request, message)
            else:
                messages.success(request, done)
                return redirect("admin:conflicts_case_change", pk)
        return TemplateResponse(
            request,
            self.change_form_template,
            {
                **self.admin_site.each_context(request),
                **self._context(request, case, **{f"{which}_form": form}),
                "title": str(case),
                "opts": self.model._meta,
                "original": case,
                "standalone": True,
                "act_url": reverse("admin:conflicts_case_act", args=[pk, which]),
            },
        )
