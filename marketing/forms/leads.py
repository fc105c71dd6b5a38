"""Forms of lead distribution: the partner's answer (accept, decline) and the managers' admin forms."""

from decimal import Decimal

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.utils import timezone
from django_countries import countries

from partners.models import Partner, PartnerType, Tier
from prm.forms import CommaSeparatedField
from prm.money import currency_choices
from prm.scoping import scopes_disabled
from prm.text import REASON_MAX, validate_multiline_text

from ..models import Lead, RoutingRule
from ..services.leads import LEAD_FIELDS


class LeadAcceptForm(forms.Form):
    """What the deal registration needs beyond the lead (prefilled from it)."""

    amount = forms.DecimalField(label="Expected amount", max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.ChoiceField(label="Currency")
    expected_close_date = forms.DateField(label="Expected close date", widget=forms.DateInput(attrs={"type": "date"}))
    products = CommaSeparatedField(
        label="Products", max_items=50, required=False, help_text="Separate them with commas."
    )

    def __init__(self, *args, default_currency: str = "USD", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = currency_choices()
        self.fields["currency"].initial = self.initial.get("currency", default_currency)
        self.fields["expected_close_date"].widget.attrs["min"] = timezone.localdate().isoformat()


class LeadDeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why do you decline?",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[validate_multiline_text],
        help_text="The partner managers read it; the lead goes to another partner or back to them.",
    )


# --- Admin ---------------------------------------------------------------------------------------


def _choices_of_specializations() -> list[tuple[str, str]]:
    """Specializations partners hold (and those rules already name), as choices."""
    names: set[str] = set()
    for values in Partner.objects.values_list("specializations", flat=True):
        names.update(str(v) for v in values or ())
    for values in RoutingRule.objects.values_list("specializations", flat=True):
        names.update(str(v) for v in values or ())
    return [(n, n) for n in sorted(names, key=str.casefold)]


def _choices_of_products() -> list[tuple[str, str]]:
    names: set[str] = set()
    for value in Lead.objects.exclude(product_interest="").values_list("product_interest", flat=True).distinct():
        names.add(value)
    for values in RoutingRule.objects.values_list("product_interests", flat=True):
        names.update(str(v) for v in values or ())
    return [(n, n) for n in sorted(names, key=str.casefold)]


class RoutingRuleForm(forms.ModelForm):
    """Lists are chosen with multi-selects and checkboxes, never typed as JSON."""

    countries = forms.MultipleChoiceField(
        choices=list(countries),
        required=False,
        widget=FilteredSelectMultiple("countries", is_stacked=False),
        help_text="Lead countries; none chosen: any country.",
    )
    product_interests = forms.MultipleChoiceField(
        choices=(), required=False, help_text="Products the lead is interested in; none chosen: any."
    )
    extra_product_interests = forms.CharField(
        label="Other product interests",
        required=False,
        help_text="Products not in the list above, separated by commas.",
    )
    partner_types = forms.MultipleChoiceField(
        choices=PartnerType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None chosen: any type.",
    )
    specializations = forms.MultipleChoiceField(
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A partner with any of these qualifies; none chosen: any.",
    )
    minimum_tier = forms.ModelChoiceField(queryset=Tier.objects.all(), required=False)

    class Meta:
        model = RoutingRule
        fields = [
            "name",
            "order",
            "active",
            "countries",
            "product_interests",
            "partner_types",
            "specializations",
            "minimum_tier",
            "partner_in_lead_country",
            "monthly_capacity",
            "prefer_win_rate",
        ]

    class Media:
        css = {"all": ["css/admin-leads.css"]}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specializations"].choices = _choices_of_specializations()
        self.fields["product_interests"].choices = _choices_of_products()

    def clean(self):
        cleaned = super().clean()
        extra = [p.strip() for p in (cleaned.get("extra_product_interests") or "").split(",") if p.strip()]
        cleaned["product_interests"] = sorted({*cleaned.get("product_interests", []), *extra}, key=str.casefold)
        return cleaned


class LeadAdminForm(forms.ModelForm):
    """A manager enters a lead; it is offered at once (marketing.services.leads.lead_create)."""

    class Meta:
        model = Lead
        fields = list(LEAD_FIELDS)
        help_texts = {"domain": "The company's web domain; left empty, the contact's e-mail domain is used."}


# Admin forms serve staff only: the partner choices are built at import, outside any request, so
# with scoping off on purpose (as performance.admin.targets does).
with scopes_disabled():

    class LeadOfferToForm(forms.Form):
        partner = forms.ModelChoiceField(
            queryset=Partner.objects.filter(status=Partner.Status.ACTIVE).order_by("name"),
            help_text="An active partner not offered this lead before; a pending offer is withdrawn.",
            error_messages={"invalid_choice": "That partner was already offered this lead, or is not active."},
        )


def lead_offer_to_form(leads) -> type[LeadOfferToForm]:
    """The offer form for ``leads``: its choices leave out the partners already offered one of
    them, whom the service would refuse."""

    class ForTheseLeads(LeadOfferToForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            field = self.fields["partner"]
            field.queryset = field.queryset.exclude(lead_offers__lead__in=leads).distinct()

    return ForTheseLeads


class LeadCloseForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text="Why the lead is closed (spam, duplicate, not interested…).")


class LeadImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8, a header row naming the columns: {', '.join(LEAD_FIELDS)}.",
    )
