"""Portal pages of commissions: statements of approved or paid runs, and the commission lines."""

from django.core.paginator import Paginator
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from prm.portal import partner_required

from . import selectors, services
from .pdf import statement_filename

PAGE_SIZE = 25


@partner_required
def statement_list(request):
    statements = Paginator(selectors.statement_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("statements")
    )
    lines = Paginator(selectors.line_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("lines"))
    return render(
        request, "incentives/statements.html", {"statements": statements, "lines": lines, "partner": request.partner}
    )


@partner_required
def statement_pdf(request, pk):
    """The stored PDF when it shows the run as it is; otherwise a worker renders it and this page
    says so, showing the link once it is ready."""
    statement = get_object_or_404(selectors.statement_list(user=request.user), pk=pk)
    if not services.statement_pdf_request(statement=statement):
        return render(
            request,
            "portal/document_pending.html",
            {
                "title": f"Statement {statement.number}",
                "status_url": reverse("statements:pdf_status", args=[statement.pk]),
                "download_url": reverse("statements:pdf", args=[statement.pk]),
                "back_url": reverse("statements:list"),
                "back_text": "Back to statements",
            },
            status=202,
        )
    return FileResponse(
        statement.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=statement_filename(statement),
    )


@never_cache
@partner_required
def statement_pdf_status(request, pk):
    """Polled by static/js/poll.js: whether the statement's PDF is ready to download."""
    statement = get_object_or_404(selectors.statement_list(user=request.user), pk=pk)
    return JsonResponse({"ready": statement.pdf_ready, "url": reverse("statements:pdf", args=[statement.pk])})
