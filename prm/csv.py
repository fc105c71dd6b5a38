"""CSV exports: text that people typed is written so that a spreadsheet never runs it.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before looking) is read as a formula by Excel, LibreOffice and Google Sheets:
``=HYPERLINK(...)`` in a comment, or ``=1+1@x.com``, which is a valid e-mail address. Every export
passes each cell that holds user-controlled text through ``csv_safe``; numbers, dates and our own
codes are written as they are.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """Text a spreadsheet would run as a formula is written as text (a leading apostrophe); any
    other value is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
