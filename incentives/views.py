"""Portal pages of commissions: statements of approved or paid runs, and the commission lines."""

from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, render

from prm.portal import partner_required

from . import selectors, services

PAGE_SIZE = 25


@partner_required
def statement_list(request):
    statements = Paginator(selectors.statement_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("statements"))
    lines = Paginator(selectors.line_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("lines"))
    return render(request, "incentives/statements.html", {"statements": statements, "lines": lines, "partner": request.partner})


@partner_required
def statement_pdf(request, pk):
    statement = services.statement_pdf_ensure(get_object_or_404(selectors.statement_list(user=request.user), pk=pk))
    return FileResponse(statement.pdf.open("rb"), content_type="application/pdf", as_attachment=True,
                        filename=f"statement-{statement.run.reference}-{statement.currency}.pdf")
