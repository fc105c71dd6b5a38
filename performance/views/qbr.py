"""Portal pages of quarterly business reviews: the partner's reviews whose PDF is ready, and the
download of one. Another organization's review, or one without a ready PDF, is a 404."""

from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, render

from prm.portal import partner_required

from ..models import quarter_end, quarter_label
from ..pdf import qbr_filename
from ..selectors.qbr import qbr_list_for

PAGE_SIZE = 20


@partner_required
def qbr_list(request):
    reviews = Paginator(qbr_list_for(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"review": review, "quarter": quarter_label(review.quarter), "end": quarter_end(review.quarter)}
        for review in reviews
    ]
    return render(request, "performance/qbr_list.html", {"reviews": reviews, "rows": rows, "partner": request.partner})


@partner_required
def qbr_pdf(request, pk):
    review = get_object_or_404(qbr_list_for(user=request.user), pk=pk)
    return FileResponse(
        review.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=qbr_filename(review)
    )
