"""Admin helpers shared by every app: actions that run a service on each selected object, and
actions that first ask for a reason (or a reference) on an intermediate page."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils.translation import ngettext

from .errors import error_text
from .text import REASON_MAX, validate_multiline_text, validate_plain_text

# What an action did to how many objects: a (singular, plural) pair of "{count} ..." sentences, so
# one object reads "1 deal approved." and never "1 deals approved."
DoneMessage = tuple[str, str]


def counted(message: DoneMessage, count: int) -> str:
    """The sentence of ``message`` that fits ``count``, with the count in it."""
    singular, plural = message
    return ngettext(singular, plural, count).format(count=count)


def run_for_each(request, items, action, done_message: DoneMessage) -> None:
    """Run ``action`` (a service call) on each item; tell the user what worked and what did not,
    item by item, in words. ``done_message`` is a (singular, plural) pair (see ``counted``)."""
    done, failed = 0, []
    for item in items:
        try:
            action(item)
            done += 1
        except (ValidationError, PermissionDenied) as error:
            failed.append(f"{item}: {error_text(error)}")
    if done:
        messages.success(request, counted(done_message, done))
    for failure in failed:
        messages.error(request, failure)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX,
        validators=[validate_multiline_text],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The partner reads this.",
    )


class ReferenceForm(forms.Form):
    reference = forms.CharField(
        max_length=100, validators=[validate_plain_text], help_text="The bank's reference of the payment."
    )


def ask_then_run(
    modeladmin, request, queryset, *, form_class, title: str, submit: str, action, done_message: DoneMessage
):
    """An admin action that asks for one value (a reason, a reference) before it runs.

    ``action(item, value)`` is called for each selected item once the form is valid; until then
    the intermediate page (templates/admin/reason_action.html) is shown. A form of several fields
    (a tier and a reason) gives ``action`` its whole ``cleaned_data``.
    """
    field = next(iter(form_class.base_fields))
    form = form_class(request.POST if field in request.POST else None)
    if form.is_valid():
        value = form.cleaned_data[field] if len(form.fields) == 1 else form.cleaned_data
        run_for_each(request, queryset, lambda item: action(item, value), done_message)
        return None
    return render(
        request,
        "admin/reason_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": queryset,
            "form": form,
            "action": request.POST.get("action", ""),
            "opts": modeladmin.model._meta,
            "submit": submit,
        },
    )


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows related rows; they are added and changed elsewhere (by services)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False
