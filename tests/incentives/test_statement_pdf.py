"""The statement PDF as a financial document, read back from a real rendering with pypdf: its
number, issue date, payee snapshot, period, lines with deal links, totals, paid status and
reference; and the layout, by the x positions of each column's text (no column runs into the next)."""

import io
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from incentives import services
from incentives.models import CommissionLine, PayoutRun, PayoutStatement
from incentives.pdf import mask_payout_method
from incentives.tasks import render_statement_pdfs
from partners.models import PayoutDetails

from ..factories import CommissionLineFactory, DealFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
PERIOD_END = TODAY - timedelta(days=7)
LONG = (
    "Adjustment agreed with the partner manager after the quarterly business review: co-marketing "
    "webinar series, three events, invoices INV-2026-0042/0043/0044 received and checked by finance"
)


@pytest.fixture
def acme(partner):
    partner.legal_name = "Acme Cloud Partners GmbH"
    partner.address_line = "Friedrichstraße 123"
    partner.postal_code = "10117"
    partner.city = "Berlin"
    partner.save()
    PayoutDetails.objects.create(
        partner=partner,
        method="iban",
        currency="USD",
        account_holder="Acme Cloud Partners GmbH",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
    )
    return partner


@pytest.fixture
def statement(acme, rival, finance):
    deal = DealFactory(partner=acme, customer_name="Contoso Pharmaceuticals", status="won")
    CommissionLine.objects.create(
        partner=acme,
        deal=deal,
        kind="accrual",
        base_amount=Decimal("48000.00"),
        rate=Decimal("10"),
        amount=Decimal("4800.00"),
        currency="USD",
        booked_on=PERIOD_END - timedelta(days=20),
        explanation="10% of 48,000.00 USD under Gold 2026, deal Contoso Pharmaceuticals",
    )
    CommissionLineFactory(partner=acme, amount="1250.50", booked_on=PERIOD_END - timedelta(days=10), explanation=LONG)
    CommissionLineFactory(
        partner=acme,
        amount="-200.00",
        kind="clawback",
        booked_on=PERIOD_END - timedelta(days=3),
        explanation="Clawback (refund) of an earlier line",
    )
    CommissionLineFactory(partner=rival, amount="900.00", explanation="Rival's commission")
    run = PayoutRun.objects.create(period_end=PERIOD_END, created_by=finance)
    services.payout_run_calculate(run.pk)
    return PayoutStatement.objects.select_related("run").get(run=run, partner=acme)


def render(statement) -> PdfReader:
    """Render the statement's PDF as a worker does, and read it back."""
    render_statement_pdfs(statement.run_id)
    statement.refresh_from_db()
    data = statement.pdf.read()
    statement.pdf.close()
    if os.environ.get("PRM_KEEP_PDF"):  # to look at it: PRM_KEEP_PDF=/tmp/statement.pdf pytest ...
        with open(os.environ["PRM_KEEP_PDF"], "wb") as kept:
            kept.write(data)
    return PdfReader(io.BytesIO(data))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


@dataclass
class Fragment:
    """A run of text the PDF shows at one place: where it starts and ends on its line."""

    text: str
    x0: float
    x1: float
    y: float


def _font_tables(font) -> tuple[dict[int, str], dict[int, float], float]:
    """A Type0 font's glyph ids -> characters (its ToUnicode map) and -> widths (its /W array)."""
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    chars = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for cid, uni in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            chars[int(cid, 16)] = bytes.fromhex(uni).decode("utf-16-be")
    descendant = font["/DescendantFonts"][0].get_object()
    widths, w = {}, list(descendant.get("/W", []))
    while w:
        first, second = int(w.pop(0)), w.pop(0)
        if isinstance(second, list) or hasattr(second, "__iter__"):
            widths.update({first + i: float(width) for i, width in enumerate(second)})
        else:
            widths.update({cid: float(w.pop(0)) for cid in range(first, int(second) + 1)})
    return chars, widths, float(descendant.get("/DW", 1000))


def fragments(page) -> list[Fragment]:
    """Every text run of the page with its start and end x (pypdf's operator visitor gives the
    text matrix of each TJ; widths come from the embedded font, as a viewer lays the glyphs)."""
    fonts = {name: _font_tables(font.get_object()) for name, font in page["/Resources"]["/Font"].items()}
    state = {"font": None, "size": 0.0}
    found = []

    def visit(operator, operands, cm, tm):
        if operator == b"Tf":
            state["font"], state["size"] = fonts[operands[0]], float(operands[1])
        elif operator in (b"TJ", b"Tj") and state["font"]:
            chars, widths, default = state["font"]
            text, advance = "", 0.0
            for item in operands[0] if operator == b"TJ" else [operands[0]]:
                if isinstance(item, bytes):
                    for i in range(0, len(item), 2):
                        cid = int.from_bytes(item[i : i + 2], "big")
                        text += chars.get(cid, "?")
                        advance += widths.get(cid, default) / 1000 * state["size"]
                else:
                    advance -= float(item) / 1000 * state["size"]
            found.append(Fragment(text, tm[4], tm[4] + advance, round(tm[5], 1)))

    page.extract_text(visitor_operand_before=visit)
    return found


def test_the_statement_is_a_financial_document(statement, finance2):
    services.payout_run_approve(run=statement.run, by=finance2)
    services.payout_run_mark_paid(run=statement.run, by=finance2, reference="SEPA-PRM-0042")
    reader = render(statement)
    text = text_of(reader)
    assert f"Statement no. {statement.number}" in text
    assert statement.number == f"PR-{PERIOD_END:%Y%m%d}-{statement.run_id}-P{statement.partner_id:05d}-USD"
    assert f"Issue date {TODAY:%-d %B %Y}" in text
    assert (
        "Acme Cloud Partners GmbH" in text
        and "Friedrichstraße 123" in text
        and "10117 Berlin" in text
        and "Germany" in text
    )
    assert "IBAN DE89 **** 3000" in text and "0532013000" not in text
    assert f"Period {PERIOD_END - timedelta(days=20):%-d %b %Y} – {PERIOD_END:%-d %b %Y}" in text
    assert "Contoso Pharmaceuticals" in text and "Rival" not in text
    assert "Total in USD 3 lines 5,850.50 USD" in text
    assert f"Paid on {TODAY:%-d %B %Y} · bank reference SEPA-PRM-0042" in text
    assert "Amount paid 5,850.50 USD" in text
    links = [annot.get_object()["/A"]["/URI"] for page in reader.pages for annot in page.get("/Annots", [])]
    assert f"http://127.0.0.1:8000/portal/deals/{statement.lines().filter(deal__isnull=False).get().deal_id}/" in links


def test_a_calculated_run_gives_a_draft_and_approval_an_issued_statement(statement, finance2):
    text = text_of(render(statement))
    assert "Draft for review by finance: not approved, not a payment advice" in text
    assert "Paid on" not in text
    services.payout_run_approve(run=statement.run, by=finance2)
    text = text_of(render(statement))
    assert f"Approved on {TODAY:%-d %B %Y} · payment pending" in text and "Draft" not in text


def test_the_document_keeps_its_payee_snapshot_when_rendered_again(statement, acme, finance2):
    services.payout_run_approve(run=statement.run, by=finance2)
    render(statement)
    acme.legal_name = "Renamed Holding AG"
    acme.save()
    PayoutDetails.objects.filter(partner=acme).update(iban="GB33BUKB20201555555555")
    services.payout_run_mark_paid(run=statement.run, by=finance2, reference="SEPA-9")
    text = text_of(render(statement))
    assert "Acme Cloud Partners GmbH" in text and "IBAN DE89 **** 3000" in text
    assert "Renamed Holding AG" not in text and "GB33" not in text
    assert "bank reference SEPA-9" in text


def test_payout_methods_are_masked():
    assert mask_payout_method(None) == "No payout details on file"
    iban = PayoutDetails(method="iban", iban="DE89 3704 0044 0532 0130 00", account_holder="Acme GmbH")
    assert mask_payout_method(iban) == "IBAN DE89 **** 3000, Acme GmbH"
    ach = PayoutDetails(
        method="us_ach", routing_number="021000021", account_number="123456789", account_holder="Acme Inc"
    )
    assert mask_payout_method(ach) == "US account ****6789 (routing 021000021), Acme Inc"
    paypal = PayoutDetails(method="paypal", paypal_email="jane.doe@example.com", account_holder="Jane Doe")
    assert mask_payout_method(paypal) == "PayPal j***@example.com, Jane Doe"


def test_no_column_of_the_lines_runs_into_the_next(statement):
    page = render(statement).pages[0]
    runs = fragments(page)
    header = {f.text: f for f in runs if f.text in ("Booked", "Kind", "Deal", "Explanation", "Amount")}
    assert list(header) == ["Booked", "Kind", "Deal", "Explanation", "Amount"]
    table_top = header["Booked"].y
    table_end = min(f.y for f in runs if re.fullmatch(r"\d+ lines?", f.text))  # the totals under the table
    cells = [f for f in runs if table_top < f.y < table_end]
    starts = [header[name].x0 for name in ("Booked", "Kind", "Deal", "Explanation")]
    amounts = [f for f in cells if re.fullmatch(r"-?[\d,]+\.\d{2} USD", f.text) and f.x0 > starts[-1] + 50]
    assert len(amounts) == 3
    boundaries = [*starts[1:], min(f.x0 for f in amounts)]  # where the next column's text starts
    dates = [f for f in cells if re.fullmatch(r"\d{4}-\d{2}-\d{2}", f.text)]
    assert len(dates) == 3 and all(f.x0 == starts[0] for f in dates)
    for fragment in cells:
        if fragment in amounts:
            continue
        column = max(i for i, start in enumerate(starts) if fragment.x0 >= start - 0.5)
        assert fragment.x1 < boundaries[column], f"{fragment.text!r} runs into the next column"
    # The date column's text ends before the kind column's text starts, on every line.
    for date in dates:
        kind = next(f for f in cells if f.y == date.y and f.x0 >= starts[1] - 0.5 and f.x0 < starts[2])
        assert date.x1 < kind.x0, (date, kind)
    # Amounts are right-aligned in their column: they all end at the same x.
    assert len({round(f.x1, 1) for f in amounts}) == 1


# --- Rendered by workers, after commit -----------------------------------------------------------


@pytest.fixture
def finance_api(api, finance):
    api.force_authenticate(finance)
    return api


def test_pdfs_rendered_counts_the_pdfs_that_show_the_run_as_it_is(statement, finance_api, finance2, client, finance):
    run = statement.run  # calculated without its documents, as the demo data does
    assert finance_api.get(f"/api/v1/payout-runs/{run.pk}/").json()["pdfs_rendered"] == 0
    assert render_statement_pdfs(run.pk) == 2
    assert finance_api.get(f"/api/v1/payout-runs/{run.pk}/").json()["pdfs_rendered"] == 2
    assert finance_api.get("/api/v1/payout-runs/").json()["results"][0]["pdfs_rendered"] == 2
    client.force_login(finance)
    page = client.get(f"/admin/incentives/payoutrun/{run.pk}/change/").content.decode()
    assert "2 of 2 statement PDFs rendered." in page and "Pdfs rendered" not in page
    services.payout_run_approve(run=run, by=finance2)  # the drafts no longer show the run
    assert finance_api.get(f"/api/v1/payout-runs/{run.pk}/").json()["pdfs_rendered"] == 0
    render_statement_pdfs(run.pk)
    assert PayoutRun.objects.get(pk=run.pk).pdfs_rendered == 2


def test_the_api_answers_202_until_a_worker_has_rendered_the_pdf(statement, finance_api, commit):
    url = f"/api/v1/statements/{statement.pk}/pdf/"
    response = finance_api.get(url)  # this request never commits: its render never runs
    assert (response.status_code, response["Retry-After"]) == (202, "5")
    assert response.json() == {
        "detail": "The statement PDF is being prepared; try again in a few seconds.",
        "status": "preparing",
    }
    statement.refresh_from_db()
    assert not statement.pdf  # nothing rendered inside the request
    with commit():
        assert finance_api.get(url).status_code == 202
    response = finance_api.get(url)
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_zip_is_built_by_a_worker_and_rebuilt_when_the_run_is_paid(statement, finance_api, finance2, commit):
    run = statement.run
    services.payout_run_approve(run=run, by=finance2)
    url = f"/api/v1/payout-runs/{run.pk}/statements.zip"
    asked = finance_api.get(url)
    assert asked.status_code == 202 and asked.json()["progress"] == "Rendering PDFs: 0 of 2 ready."
    assert PayoutRun.objects.get(pk=run.pk).zip_status == "building"
    assert finance_api.get(f"/api/v1/payout-runs/{run.pk}/").json()["zip_status"] == "building"
    with commit():  # the build claimed above is not claimed twice; asking again while it runs enqueues nothing
        assert finance_api.get(url).status_code == 202
    assert (PayoutRun.objects.get(pk=run.pk).zip_status, PayoutRun.objects.get(pk=run.pk).pdfs_rendered) == (
        "building",
        0,
    )
    from incentives.tasks import build_statements_zip

    build_statements_zip(run.pk)  # the worker: renders the PDFs first, then comes back and zips them
    run.refresh_from_db()
    assert (run.zip_status, run.zip_progress, run.zip_ready) == ("ready", 2, True)
    response = finance_api.get(url)
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == sorted(
        f"{s.partner.name} USD {run.reference}.pdf" for s in run.statements.all()
    )
    services.payout_run_mark_paid(run=run, by=finance2, reference="SEPA-77")
    with commit():
        assert finance_api.get(url).status_code == 202  # the ZIP showed the run unpaid: built again
    response = finance_api.get(url)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    paid = archive.read(f"{statement.partner.name} USD {run.reference}.pdf")
    assert "bank reference SEPA-77" in text_of(PdfReader(io.BytesIO(paid)))


def test_a_run_being_recalculated_has_no_documents_to_give(finance_api, finance, partner):
    CommissionLineFactory(partner=partner, amount="100.00", booked_on=PERIOD_END - timedelta(days=1))
    run = PayoutRun.objects.create(period_end=PERIOD_END, created_by=finance)
    response = finance_api.get(f"/api/v1/payout-runs/{run.pk}/statements.zip")
    assert response.status_code == 409 and "no documents yet" in response.json()["detail"]


def test_a_zip_build_whose_task_was_lost_is_asked_for_again(statement, finance_api, commit):
    run = statement.run
    PayoutRun.objects.filter(pk=run.pk).update(
        zip_status="building", zip_requested_at=timezone.now() - timedelta(hours=2)
    )
    with commit():
        assert finance_api.get(f"/api/v1/payout-runs/{run.pk}/statements.zip").status_code == 202
    run.refresh_from_db()
    assert run.zip_ready and run.zip_progress == 2
