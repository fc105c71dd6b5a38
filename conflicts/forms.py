from django import forms
from django.utils import timezone

from prm.money import format_money
from prm.uploads import ATTACHMENT_EXTENSIONS

from .models import BODY_MAX, SUBJECT_MAX, Case

ACCEPT = ",".join(f".{extension}" for extension in ATTACHMENT_EXTENSIONS)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; the service checks each (prm.uploads)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Attachments")
        kwargs.setdefault("help_text", f"Up to 5 files: {', '.join(ATTACHMENT_EXTENSIONS)}.")
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ACCEPT

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(AttachmentsField, self).clean(f, initial) for f in files]


class DisputeForm(forms.Form):
    """A partner opens a dispute; field names are the API's (rules live in the service)."""

    kind = forms.ChoiceField(label="What is it about?", choices=[(k, Case.Kind(k).label) for k in Case.DISPUTE_KINDS])
    subject = forms.CharField(label="Subject", max_length=SUBJECT_MAX)
    deal = forms.ModelChoiceField(
        label="Deal",
        queryset=None,
        required=False,
        empty_label="No deal",
        help_text="For a deal dispute: the registration it is about.",
    )
    commission_line = forms.ModelChoiceField(
        label="Commission line",
        queryset=None,
        required=False,
        empty_label="No commission line",
        help_text="For a commission dispute: the line it is about.",
    )
    body = forms.CharField(label="What happened?", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = AttachmentsField()

    def __init__(self, *args, deals, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deal"].queryset = deals
        self.fields["deal"].label_from_instance = lambda d: (
            f"{d.customer_name} ({d.get_status_display().lower()}, {format_money(d.amount, d.currency).strip()})"
        )
        self.fields["commission_line"].queryset = lines
        self.fields["commission_line"].label_from_instance = lambda line: (
            f"#{line.pk} {line.booked_on:%d %b %Y}: {format_money(line.amount, line.currency).strip()}, "
            f"{line.explanation[:60]}"
        )


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your message", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    attachments = AttachmentsField()


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Why should the case be looked at again?", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class EvidenceForm(forms.Form):
    first_contact_on = forms.DateField(
        label="First contact with the customer", widget=forms.DateInput(attrs={"type": "date"})
    )
    activities = forms.CharField(
        label="What you did with the customer since", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    customer_contact = forms.CharField(
        label="Your contact at the customer", max_length=200, help_text="Name and role, e-mail or phone."
    )
    attachments = AttachmentsField(help_text="E-mails, meeting notes, quotes (up to 5 files).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_contact_on"].widget.attrs["max"] = timezone.localdate().isoformat()


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "All statuses")] + list(Case.Status.choices), required=False)
