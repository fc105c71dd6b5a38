"""Portal pages of the partners app: the partner home and accepting an invitation."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from . import selectors, services
from .forms import InvitationAcceptForm


def partner_required(view):
    """Portal pages are for signed-in partner users; staff are sent to the admin."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.is_staff:
            messages.info(request, "The partner portal is for partner users. Staff work in the admin.")
            return redirect("admin:index")
        if not user.is_partner_user:
            return render(request, "403.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


@partner_required
def portal_home(request):
    partner = selectors.partner_list().get(pk=request.user.partner_id)
    team = selectors.team_list()
    return render(request, "portal/home.html", {"partner": partner, "team": team})


@never_cache
@sensitive_post_parameters("password1", "password2")
def invitation_accept(request, token):
    invitation = services.invitation_for_token(token)
    if invitation is None or not invitation.is_usable:
        return render(request, "partners/invitation_invalid.html", {"invitation": invitation}, status=404)
    if request.user.is_authenticated:
        messages.warning(request, "Sign out first to accept an invitation for another account.")
        return redirect("home")
    form = InvitationAcceptForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, password=form.cleaned_data["password1"], full_name=form.cleaned_data["full_name"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to the {invitation.partner.name} partner portal.")
            return redirect("portal:home")
    return render(request, "partners/invitation_accept.html", {"form": form, "invitation": invitation})
