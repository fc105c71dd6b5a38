"""Post an admin change form as a browser would: its current values, plus what the test changes."""


def admin_form_data(response, **changes) -> dict:
    """The data of the admin change form in ``response`` (a GET of the change page)."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if hasattr(value, "pk"):
            value = value.pk
        if isinstance(value, (list, tuple)):
            value = [getattr(v, "pk", v) for v in value]
        data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{management.prefix}-{name}"] = management[name].value()
        for sub in inline.formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                if value is not None:
                    data[sub.add_prefix(name)] = value
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
