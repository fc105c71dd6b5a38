from django.conf import settings
from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .roles import STAFF_ROLES


@require_GET
def home(request):
    """Send each role where it works: staff to the admin, partners to the portal."""
    user = request.user
    if not user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if user.is_staff and user.role in STAFF_ROLES:
        return redirect("admin:index")
    return redirect("portal:home")


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any failure is the answer: report it, do not raise
        return f"error: {type(exc).__name__}"


def _broker_status() -> str:
    from .celery import app

    if app.conf.task_always_eager:
        return "eager"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:  # any failure is the answer: report it, do not raise
        return f"error: {type(exc).__name__}"


@never_cache
@require_GET
def healthz(request):
    """Database and broker status for load balancers and monitors; 503 when either fails."""
    status = {"database": _database_status(), "broker": _broker_status()}
    healthy = all(value in ("ok", "eager") for value in status.values())
    status["status"] = "ok" if healthy else "error"
    return JsonResponse(status, status=200 if healthy else 503)


def client_ip(request) -> str:
    """The client's address: the entry a trusted proxy added to X-Forwarded-For, else the peer."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def server_error(request):
    # No context processors: the error may come from them.
    return HttpResponseServerError(loader.get_template("500.html").render())


@require_GET
def favicon(request):
    """Browsers and bots ask for /favicon.ico whatever the page says: send them to the icon."""
    response = redirect(static("img/favicon.ico"))
    patch_cache_control(response, public=True, max_age=60 * 60 * 24)
    return response
