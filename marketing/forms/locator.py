"""Forms of the partner locator: the public contact form (the lead's field names) and the portal's
locator profile form."""

from django import forms
from django_countries import countries

from ..models import DESCRIPTION_MAX, SUMMARY_MAX, Lead
from ..services.leads import LEAD_FIELDS
from ..services.locator import LOGO_EXTENSIONS


class LocatorContactForm(forms.ModelForm):
    """What a prospect tells a partner; the lead's model validators are the rules."""

    class Meta:
        model = Lead
        # The lead's fields (``lead_validated``'s names, so its refusals land beside them) but the
        # campaign, which is the program's.
        fields = [field for field in LEAD_FIELDS if field != "campaign"]
        labels = {
            "company": "Your company",
            "domain": "Company website",
            "contact_name": "Your name",
            "contact_email": "Your work e-mail",
            "contact_phone": "Phone (optional)",
            "country": "Country",
            "product_interest": "What you are interested in",
            "size": "Company size",
            "message": "Your message",
        }
        help_texts = {"message": "What you need, your timeline, how you prefer to be contacted."}
        widgets = {
            "company": forms.TextInput(attrs={"autocomplete": "organization"}),
            "domain": forms.TextInput(attrs={"placeholder": "www.example.com", "autocomplete": "url"}),
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "contact_phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "message": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].required = True
        self.fields["size"].choices = [("", "Choose…"), *self.fields["size"].choices[1:]]
        self.fields["country"].choices = [("", "Choose…"), *self.fields["country"].choices[1:]]


class LocatorProfileForm(forms.Form):
    """A partner admin's locator profile: the service's field names."""

    listed = forms.BooleanField(label="Show us on the public partner locator", required=False)
    summary = forms.CharField(
        label="Summary",
        max_length=SUMMARY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"One or two sentences shown in the list (at most {SUMMARY_MAX} characters).",
    )
    description = forms.CharField(
        label="Description",
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Shown on your partner page: what you do, for whom, how you work. Plain text.",
    )
    regions = forms.MultipleChoiceField(
        label="Countries you serve besides your own",
        required=False,
        choices=list(countries),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Choose one or more. Customers filtering by these countries find you.",
    )
    logo = forms.FileField(
        label="Logo",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".png,.jpg,.jpeg,.webp"}),
        help_text=f"A {', '.join(e.upper() for e in LOGO_EXTENSIONS if e != 'jpeg')} image of at most 1 MB, "
        "ideally square.",
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)

    def __init__(self, *args, has_logo: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["logo"].widget = forms.FileInput(attrs={"accept": ".png,.jpg,.jpeg,.webp"})
        if not has_logo:
            del self.fields["remove_logo"]
        chosen = [countries.name(code) for code in (self.initial.get("regions") or [])]
        if chosen:
            self.fields["regions"].help_text += f" Chosen now: {', '.join(chosen)}."
