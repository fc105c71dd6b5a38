from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django_countries import countries

from partners.models import Partner, PartnerType

from .models import ContentAsset, Language, comma_list, comma_value


class ContentFilterForm(forms.Form):
    search = forms.CharField(label="Search title, description or tags", required=False, max_length=100)
    category = forms.ChoiceField(choices=[("", "All categories"), *ContentAsset.Category.choices], required=False)
    kind = forms.ChoiceField(
        label="Type", choices=[("", "Files and links"), *ContentAsset.Kind.choices], required=False
    )
    language = forms.ChoiceField(choices=[("", "All languages"), *Language.choices], required=False)


class QuizForm(forms.Form):
    """One field per question: radio buttons, or check boxes when several choices are right.
    Field names are ``q<question id>``; what is right is never part of the form."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for number, question in enumerate(questions, 1):
            choices = [(c.pk, c.text) for c in question.choices.all()]
            label = f"{number}. {question.text}"
            if question.right_count > 1:
                self.fields[f"q{question.pk}"] = forms.TypedMultipleChoiceField(
                    label=label,
                    choices=choices,
                    coerce=int,
                    widget=forms.CheckboxSelectMultiple,
                    help_text="Select every right answer.",
                    error_messages={"required": "Answer this question."},
                )
            else:
                self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                    label=label,
                    choices=choices,
                    coerce=int,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Answer this question."},
                )

    def answers(self) -> dict[str, object]:
        """The API's shape: ``{"<question id>": <choice id> | [choice ids]}``."""
        return {name[1:]: value for name, value in self.cleaned_data.items()}


def partner_types_field(help_text: str = "None chosen: every type.") -> forms.MultipleChoiceField:
    """Partner types as check boxes (an audience's, a content asset's); none chosen means every type."""
    return forms.MultipleChoiceField(
        label="Partner types",
        choices=PartnerType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


class AudienceForm(forms.ModelForm):
    """The admin form part of an audience (newsletters, announcements, surveys): multi-selects for
    partner types, countries and statuses, stored comma-bounded on the model. Subclasses set
    ``Meta.model`` and ``Meta.fields`` (including ``tiers`` and ``recipients``); the admin hands
    ``audience_data()`` to the service, which reads it with ``services.audience_apply``."""

    AUDIENCE_FIELDS = ["tiers", "audience_types", "audience_countries", "audience_statuses", "recipients"]
    # The service's name of each form field.
    AUDIENCE_DATA = {
        "tiers": "tiers",
        "audience_types": "partner_types",
        "audience_countries": "countries",
        "audience_statuses": "partner_statuses",
        "recipients": "recipients",
    }

    audience_types = partner_types_field()
    audience_countries = forms.MultipleChoiceField(
        label="Countries",
        choices=list(countries),
        required=False,
        widget=FilteredSelectMultiple("countries", is_stacked=False),
        help_text="None chosen: every country.",
    )
    audience_statuses = forms.MultipleChoiceField(
        label="Partner statuses",
        choices=Partner.Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None chosen: every status.",
    )

    class Media:
        # The countries' label back before its two lists (the admin's script puts the lists first).
        css = {"all": ["css/admin-audience.css"]}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience_types"].initial = comma_list(self.instance.partner_types)
        self.fields["audience_countries"].initial = comma_list(self.instance.countries)
        self.fields["audience_statuses"].initial = comma_list(self.instance.partner_statuses)
        if "tiers" in self.fields:
            self.fields["tiers"].widget = forms.CheckboxSelectMultiple(choices=self.fields["tiers"].choices)
            self.fields["tiers"].help_text = "None chosen: every partner, with or without a tier."

    def _post_clean(self):
        # Before the model's own validation, so a bad value is named on the model's field.
        self.instance.partner_types = comma_value(self.cleaned_data.get("audience_types"))
        self.instance.countries = comma_value(self.cleaned_data.get("audience_countries"))
        self.instance.partner_statuses = comma_value(self.cleaned_data.get("audience_statuses"))
        super()._post_clean()

    def audience_data(self) -> dict:
        """The audience as the services take it (``services.audience_apply``): ``tiers``,
        ``partner_types``, ``countries``, ``partner_statuses``, ``recipients``, for the fields
        this form has."""
        data = {}
        for name, key in self.AUDIENCE_DATA.items():
            if name in self.fields:
                value = self.cleaned_data.get(name)
                data[key] = (value or "") if name == "recipients" else list(value or [])
        return data


# --- Surveys (partner feedback) ---


class SurveyAnswerForm(forms.Form):
    """The answer to a survey: the NPS score as 0-10 radio buttons, ratings as 1-5 radio buttons,
    a choice as radio buttons, free text as a text area, and a comment. Question fields are named
    ``q<question id>``, as the service names them in its errors."""

    NPS_LOW = "0 = not at all likely"
    NPS_HIGH = "10 = extremely likely"

    def __init__(self, *args, survey, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.questions = questions
        self.fields["nps_score"] = forms.TypedChoiceField(
            label=survey.nps_question,
            choices=[(n, str(n)) for n in range(11)],
            coerce=int,
            widget=forms.RadioSelect(attrs={"class": "btn-check"}),
            error_messages={"required": "Choose a score from 0 to 10."},
        )
        for question in questions:
            name, label = f"q{question.pk}", question.text
            required = {"required": "Answer this question."}
            if question.kind == "rating":
                field = forms.TypedChoiceField(
                    choices=[(n, str(n)) for n in range(1, 6)],
                    coerce=int,
                    widget=forms.RadioSelect(attrs={"class": "btn-check"}),
                    error_messages=required,
                )
            elif question.kind == "choice":
                field = forms.ChoiceField(
                    choices=[(c, c) for c in question.choice_list()],
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                    error_messages=required,
                )
            else:
                field = forms.CharField(
                    max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), error_messages=required
                )
            field.label, field.required = label, question.required
            field.kind = question.kind
            self.fields[name] = field
        self.fields["comment"] = forms.CharField(
            label="Anything else you would like to tell us?",
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 4}),
        )
        self.fields["nps_score"].kind = "nps"
        self.fields["comment"].kind = "text"

    def answers(self) -> dict:
        """The service's shape: ``{"nps_score", "comment", "answers": {"<question id>": value}}``."""
        data = self.cleaned_data
        return {
            "nps_score": data.get("nps_score"),
            "comment": data.get("comment", ""),
            "answers": {str(q.pk): data.get(f"q{q.pk}") for q in self.questions},
        }
