from django import forms
from django.contrib.auth import password_validation

from prm.forms import CommaSeparatedField
from prm.money import currency_choices
from prm.roles import Role
from prm.text import validate_plain_text

from .models import MAX_SPECIALIZATIONS, Application, Partner, PayoutDetails, User


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(label="Your full name", max_length=150, validators=[validate_plain_text])
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Repeat the password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, invitation, **kwargs):
        self.invitation = invitation
        super().__init__(*args, **kwargs)
        self.fields["full_name"].initial = invitation.full_name
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        elif password1:
            candidate = User(email=self.invitation.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ApplicationForm(forms.ModelForm):
    """The public application form; the model's validators are the rules (shared with the API)."""

    specializations = CommaSeparatedField(
        label="Specializations",
        max_items=MAX_SPECIALIZATIONS,
        help_text="For example: cloud, security, data. Separate them with commas.",
    )

    class Meta:
        model = Application
        fields = [
            "company_name",
            "website",
            "country",
            "partner_type",
            "employees",
            "annual_revenue",
            "specializations",
            "contact_name",
            "contact_email",
            "message",
        ]
        labels = {
            "company_name": "Company name",
            "employees": "Number of employees",
            "annual_revenue": "Annual revenue (USD)",
            "contact_name": "Your name",
            "contact_email": "Your work e-mail",
            "message": "Anything you want us to know",
        }
        widgets = {
            "website": forms.URLInput(attrs={"placeholder": "https://www.example.com", "autocomplete": "url"}),
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "company_name": forms.TextInput(attrs={"autocomplete": "organization"}),
            "message": forms.Textarea(attrs={"rows": 4}),
        }


class AgreementSignForm(forms.Form):
    signer_name = forms.CharField(
        label="Type your full name to sign",
        max_length=150,
        validators=[validate_plain_text],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    consent = forms.BooleanField(
        label="I have read this agreement and accept it on behalf of my company.",
        error_messages={
            "required": "Confirm that you have read the agreement and accept it on behalf of your company."
        },
    )


class PartnerProfileForm(forms.ModelForm):
    specializations = CommaSeparatedField(label="Specializations", max_items=MAX_SPECIALIZATIONS)

    class Meta:
        model = Partner
        fields = [
            "legal_name",
            "website",
            "address_line",
            "postal_code",
            "city",
            "country",
            "phone",
            "description",
            "specializations",
        ]
        labels = {"legal_name": "Legal name", "address_line": "Street address"}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel"}),
            "legal_name": forms.TextInput(attrs={"autocomplete": "organization"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in Partner.PROFILE_REQUIRED_FIELDS + ("website",):
            self.fields[field].required = True


class TeamInviteForm(forms.Form):
    email = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    full_name = forms.CharField(label="Full name", max_length=150, required=False, validators=[validate_plain_text])
    role = forms.ChoiceField(
        label="Role",
        choices=[(Role.PARTNER_REP.value, "Partner rep"), (Role.PARTNER_ADMIN.value, "Partner admin")],
        initial=Role.PARTNER_REP,
        help_text="Partner admins also manage the profile, the team and payout details, and sign agreements.",
    )


class SecretTextInput(forms.TextInput):
    """A text input that never renders a value back into the page (bank numbers)."""

    def format_value(self, value):
        return None


class BankNumbersFormMixin:
    """Bank numbers (``PayoutDetails.SECRET_FIELDS``) are never rendered back in full.

    With stored numbers and ``change_bank_details`` off, the form shows them masked and read-only
    ("DE89 •••• •••• 3000"); with it on, the inputs are empty and an empty one keeps the stored
    number (payout_details_save's rule). Without stored numbers the inputs are plain and empty.
    """

    def setup_bank_numbers(self, *, change_bank_details: bool) -> None:
        instance = self.instance
        stored = {f: getattr(instance, f) for f in PayoutDetails.SECRET_FIELDS if getattr(instance, f)}
        self.bank_numbers_masked = bool(stored) and not change_bank_details
        self.has_bank_numbers = bool(stored)
        for name in PayoutDetails.SECRET_FIELDS:
            field = self.fields[name]
            self.initial[name] = ""
            if self.bank_numbers_masked:
                field.widget = forms.TextInput()
                field.disabled = True
                self.initial[name] = instance.masked(name) if name in stored else ""
                field.help_text = "Shown masked. Choose “Change bank details” to replace it."
            else:
                field.widget = SecretTextInput(attrs={"autocomplete": "off", "spellcheck": "false"})
                if name in stored:
                    field.help_text = f"Now {instance.masked(name)}. Leave it empty to keep it."

    def clean(self):
        cleaned = super().clean()
        for name in PayoutDetails.SECRET_FIELDS:
            if self.fields[name].disabled or not (cleaned.get(name) or "").strip():
                cleaned[name] = getattr(self.instance, name)  # unchanged: the stored number
        method = cleaned.get("method")
        needs_numbers = any(f in PayoutDetails.SECRET_FIELDS for f in PayoutDetails.METHOD_FIELDS.get(method, ()))
        if self.bank_numbers_masked and method != self.instance.method and needs_numbers:
            self.add_error(
                "method", "To be paid to another kind of account, choose “Change bank details” and enter it."
            )
        return cleaned


class PayoutDetailsForm(BankNumbersFormMixin, forms.ModelForm):
    currency = forms.ChoiceField(label="Payout currency")
    change_bank_details = forms.BooleanField(required=False, widget=forms.HiddenInput)

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
        labels = {"account_holder": "Account holder"}
        help_texts = {
            "iban": "For bank transfers by IBAN.",
            "bic": "Optional for SEPA transfers.",
            "routing_number": "US bank transfers only: 9 digits.",
            "paypal_email": "PayPal payouts only.",
        }

    def __init__(self, *args, change_bank_details: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", "Choose a currency")] + currency_choices()
        self.initial["change_bank_details"] = change_bank_details
        self.setup_bank_numbers(change_bank_details=change_bank_details)
