"""Portal forms of market development funds; field names are the API's (rules live in the
services)."""

from django import forms
from django.utils import timezone

from prm.money import format_money
from prm.text import NOTES_MAX, REASON_MAX

from ..models import ActivityType
from ..services.funds import PROOF_EXTENSIONS

ACCEPT = ",".join(f".{extension}" for extension in PROOF_EXTENSIONS)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ProofsField(forms.FileField):
    """Several files in one input; the service checks each (prm.uploads)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        # Marked required (at least one proof); ``clean`` lets an empty list through so the
        # service's own refusal names what to add.
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ACCEPT

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(ProofsField, self).clean(f, initial) for f in files]


class DateInput(forms.DateInput):
    input_type = "date"


class FundRequestForm(forms.Form):
    activity_type = forms.ChoiceField(label="Activity", choices=ActivityType.choices)
    title = forms.CharField(label="Title", max_length=200)
    starts_on = forms.DateField(label="First day", widget=DateInput)
    ends_on = forms.DateField(label="Last day", widget=DateInput)
    planned_cost = forms.DecimalField(
        label="Planned cost", max_digits=14, decimal_places=2, help_text="In your allocation's currency."
    )
    expected_leads = forms.IntegerField(label="Leads you expect", min_value=0, initial=0)
    description = forms.CharField(
        label="What will you do?", max_length=NOTES_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate().isoformat()
        self.fields["starts_on"].widget.attrs["min"] = today
        self.fields["ends_on"].widget.attrs["min"] = today


class ClaimForm(forms.Form):
    amount = forms.DecimalField(label="Actual cost to reimburse", max_digits=14, decimal_places=2)
    leads_generated = forms.IntegerField(label="Leads generated", min_value=0)
    results = forms.CharField(
        label="Results",
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What happened: attendance, reach, follow-ups.",
    )
    proofs = ProofsField(
        label="Proof of performance",
        help_text=f"At least one file: invoices, photos, the attendee list ({', '.join(PROOF_EXTENSIONS)}).",
    )
    deals = forms.ModelMultipleChoiceField(
        label="Deals that came from this activity",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, deals, approved_amount=None, currency="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deals"].queryset = deals
        self.fields["deals"].label_from_instance = lambda d: (
            f"{d.customer_name} ({d.get_status_display().lower()}, {format_money(d.amount, d.currency).strip()})"
        )
        if approved_amount is not None:
            self.fields["amount"].help_text = f"At most the approved {format_money(approved_amount, currency).strip()}."


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3}))


class ApproveForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount to approve",
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text="Filled in with the planned cost (empty means the same); less approves the request partly.",
    )


class AllocationPeriodForm(forms.Form):
    on = forms.DateField(
        label="A day of the period",
        widget=DateInput,
        help_text="Each active rule allocates for its year or quarter holding this day.",
    )
