from django import forms

from .models import ContentAsset, Language


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
