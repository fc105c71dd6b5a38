from decimal import Decimal

from django import forms
from django.utils import timezone
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from prm.forms import CommaSeparatedField
from prm.money import currency_choices
from prm.text import NOTES_MAX, REASON_MAX, validate_multiline_text, validate_plain_text

from .models import DealRegistration


class DealForm(forms.Form):
    """The portal's registration form; field names are the API's (rules live in the service)."""

    customer_name = forms.CharField(label="Customer company name", max_length=200, validators=[validate_plain_text])
    customer_domain = forms.CharField(
        label="Customer web domain", max_length=253, widget=forms.TextInput(attrs={"placeholder": "customer.com"})
    )
    customer_country = LazyTypedChoiceField(
        label="Customer country", choices=[("", "Choose a country")] + list(countries)
    )
    customer_contact_name = forms.CharField(
        label="Customer contact name", max_length=150, required=False, validators=[validate_plain_text]
    )
    customer_contact_email = forms.EmailField(label="Customer contact e-mail", required=False)
    amount = forms.DecimalField(label="Expected amount", max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.ChoiceField(label="Currency")
    expected_close_date = forms.DateField(label="Expected close date", widget=forms.DateInput(attrs={"type": "date"}))
    products = CommaSeparatedField(label="Products", max_items=50, help_text="Separate them with commas.")
    notes = forms.CharField(
        label="Notes for your partner manager",
        required=False,
        max_length=NOTES_MAX,
        validators=[validate_multiline_text],
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, default_currency: str = "USD", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = currency_choices()
        self.fields["currency"].initial = self.initial.get("currency", default_currency)
        self.fields["expected_close_date"].widget.attrs["min"] = timezone.localdate().isoformat()


class DealFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "All statuses")] + list(DealRegistration.Status.choices), required=False)
    search = forms.CharField(required=False, label="Search")


class ExtensionRequestForm(forms.Form):
    reason = forms.CharField(
        label="Why does the deal need more time?",
        max_length=REASON_MAX,
        validators=[validate_multiline_text],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
