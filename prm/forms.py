from django import forms
from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Every form renders through templates/forms/: labels, help and errors tied to their input."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"


class CommaSeparatedField(forms.CharField):
    """A list of short texts typed as "cloud, security, data" (specializations, products)."""

    def __init__(self, *args, max_items: int = 20, **kwargs):
        self.max_items = max_items
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Separate them with commas.")
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value)
        return [item.strip() for item in text.split(",") if item.strip()]

    def validate(self, value):
        super().validate(value)
        if len(value) > self.max_items:
            raise forms.ValidationError(f"At most {self.max_items}.")
