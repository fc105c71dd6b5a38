"""Staff's side of the partner locator: the profiles partners keep. Managers may correct the
texts or unlist an inappropriate profile (saved through the service); profiles are never added
here (a partner's first visit to its portal page makes it) nor deleted."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django_countries import countries

from partners.models import Partner
from prm.audit import AuditedAdmin
from prm.errors import form_errors_from
from prm.text import short_date

from ..models import LocatorProfile
from ..services.locator import PROFILE_FIELDS, locator_profile_check, locator_profile_save


class LocatorProfileAdminForm(forms.ModelForm):
    regions = forms.MultipleChoiceField(
        label="Countries served besides its own",
        choices=list(countries),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )

    class Meta:
        model = LocatorProfile
        fields = list(PROFILE_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and self.instance.pk:
            try:
                locator_profile_check(partner=self.instance.partner, data={f: cleaned.get(f) for f in PROFILE_FIELDS})
            except ValidationError as error:
                form_errors_from(self, error)
        return cleaned


class PartnerCountryFilter(admin.SimpleListFilter):
    """The countries of the partners that have a locator profile (not every country in the world)."""

    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by().values_list("partner__country", flat=True).distinct()
        return sorted(((code, countries.name(code)) for code in codes if code), key=lambda c: c[1])

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(partner__country=self.value())
        return queryset


@admin.register(LocatorProfile)
class LocatorProfileAdmin(AuditedAdmin):
    form = LocatorProfileAdminForm
    list_display = ["partner", "is_listed", "partner_status", "updated", "public_link"]
    list_filter = ["listed", "partner__status", PartnerCountryFilter]
    list_select_related = ["partner"]
    search_fields = ["partner__name", "summary", "slug"]
    readonly_fields = ["partner", "slug", "public_page", "logo_uploaded", "updated_at", "updated_by"]
    fields = [
        "partner",
        "slug",
        "public_page",
        "listed",
        "summary",
        "description",
        "regions",
        "logo_uploaded",
        "updated_at",
        "updated_by",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Partner status", ordering="partner__status")
    def partner_status(self, obj):
        return obj.partner.get_status_display()

    @admin.display(description="Public page")
    def public_page(self, obj):
        if not (obj.listed and obj.partner.status == Partner.Status.ACTIVE):
            return "Not shown on the locator"
        url = reverse("locator_public:detail", args=[obj.slug])
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description="Listed", boolean=True, ordering="listed")
    def is_listed(self, obj):
        return obj.listed

    @admin.display(description="Updated", ordering="updated_at")
    def updated(self, obj):
        return short_date(obj.updated_at)

    @admin.display(description="Public page")
    def public_link(self, obj):
        """The list's short form of ``public_page``: a link named by the slug."""
        if not (obj.listed and obj.partner.status == Partner.Status.ACTIVE):
            return "Not shown"
        return format_html('<a href="{}">/{}/</a>', reverse("locator_public:detail", args=[obj.slug]), obj.slug)

    @admin.display(description="Logo", boolean=True)
    def logo_uploaded(self, obj):
        return bool(obj.logo)

    def save_model(self, request, obj, form, change):
        """Saved by ``locator_profile_save`` (roles and rules); a refusal stays on the form."""
        data = {field: form.cleaned_data.get(field) for field in PROFILE_FIELDS}
        locator_profile_save(partner=obj.partner, by=request.user, data=data)
