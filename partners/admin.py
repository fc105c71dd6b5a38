from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError

from prm.audit import AuditedAdmin
from prm.scoping import scopes_disabled

from . import services
from .models import Invitation, Partner, Tier, User


@admin.register(Tier)
class TierAdmin(AuditedAdmin):
    list_display = ["name", "rank", "min_won_revenue_12m", "min_certified_users", "commission_uplift_percent", "protection_days"]
    ordering = ["rank"]


class MemberInline(admin.TabularInline):
    model = User
    fk_name = "partner"
    fields = ["email", "full_name", "role", "is_active", "last_login"]
    readonly_fields = ["email", "last_login"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # people join by invitation


class InvitationInline(admin.TabularInline):
    model = Invitation
    fields = ["email", "role", "created_at", "expires_at", "accepted_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # sent from the Invitations page, which e-mails the link


@admin.register(Partner)
class PartnerAdmin(AuditedAdmin):
    list_display = ["name", "status", "tier", "partner_type", "country", "created_at"]
    list_filter = ["status", "tier", "partner_type", "country"]
    search_fields = ["name", "website"]
    list_select_related = ["tier"]
    inlines = [MemberInline, InvitationInline]


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "partner", "is_active", "last_login"]
    list_filter = ["role", "is_active", "partner"]
    list_select_related = ["partner"]
    search_fields = ["email", "full_name", "partner__name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "password"]}),
        ("Role", {"fields": ["role", "partner", "is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "role", "partner", "password1", "password2"]})]
    filter_horizontal = ["groups"]


# Admin forms serve staff only, who see every partner: the form's partner choices are built
# once at import, outside any request, so they are built with scoping off on purpose.
with scopes_disabled():

    class InvitationForm(forms.ModelForm):
        class Meta:
            model = Invitation
            fields = ["partner", "email", "full_name", "role"]

        def clean(self):
            cleaned = super().clean()
            if cleaned.get("email") and cleaned.get("role"):
                try:
                    services.invitation_check(email=cleaned["email"], role=cleaned["role"])
                except ValidationError as error:
                    self.add_error(None, error)
            return cleaned


@admin.register(Invitation)
class InvitationAdmin(AuditedAdmin):
    """Adding an invitation e-mails the link; invitations are never edited afterwards."""

    form = InvitationForm
    list_display = ["email", "partner", "role", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role", "accepted_at"]
    search_fields = ["email", "partner__name"]
    list_select_related = ["partner", "invited_by"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        invitation = services.invitation_send(
            partner=obj.partner, email=obj.email, role=obj.role, full_name=obj.full_name, invited_by=request.user
        )
        obj.pk = invitation.pk
        messages.success(request, f"An invitation was e-mailed to {invitation.email}.")
