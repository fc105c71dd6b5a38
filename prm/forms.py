from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Every form renders through templates/forms/: labels, help and errors tied to their input."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
