"""Company-name normalization and similarity for channel-conflict detection (DESIGN.md).

"ACME, Inc." and "Acme Incorporated" are the same company; so are "Société Générale S.A." and
"Societe Generale". A name is reduced to a key: accents folded, case and punctuation dropped,
dotted abbreviations joined ("S.A." -> "sa"), legal-form words of the common jurisdictions and a
leading "the" removed. Similar names are scored with RapidFuzz's token-sort ratio (0-100).
"""

import re
import unicodedata

from rapidfuzz import fuzz

# Legal forms, as they appear once punctuation is gone and dotted letters are joined.
LEGAL_SUFFIXES = frozenset(
    """
    inc incorporated corp corporation co company companies cos llc llp lp lllp pllc pc ltd limited
    plc pty pte bhd sdn gmbh mbh ag kg kgaa ohg ug ev eg gbr se sa sas sasu sarl sca scs snc sl slu
    srl spa sapa bv nv cv vof ab hb kb oy oyj as asa aps kk yk sro spol zrt kft rt ooo oao zao
    pjsc jsc lda ltda eireli cia sac saa cv rl holding holdings group
    """.split()
)
DANGLING = frozenset({"and", "de", "y", "und", "et"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
BLOCK_LENGTH = 4


def fold(text: str) -> str:
    """Lower-case ASCII: accents removed, ß -> ss, & -> and."""
    text = (text or "").replace("ß", "ss").replace("&", " and ")
    # An apostrophe joins: "L'Oréal" is "loreal", as people also write it.
    text = text.replace("'", "").replace("\u2019", "")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _join_initials(tokens: list[str]) -> list[str]:
    """["s", "a"] -> ["sa"]: dotted abbreviations become one token."""
    joined, run = [], []
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            joined.append("".join(run))
            run = []
        joined.append(token)
    if run:
        joined.append("".join(run))
    return joined


def normalize_company_name(name: str) -> str:
    """The comparison key of a company name ("" when nothing distinctive is left)."""
    tokens = _join_initials([t for t in _NON_ALNUM.split(fold(name)) if t])
    if tokens and tokens[0] == "the" and len(tokens) > 1:
        tokens = tokens[1:]
    # Legal forms are dropped at the end (and after a comma-separated tail, now gone), never
    # when they are all there is: "Company" stays "company".
    # ("GmbH & Co. KG" leaves a dangling "and", "S.A. de C.V." a dangling "de" behind.)
    while len(tokens) > 1 and (tokens[-1] in LEGAL_SUFFIXES or tokens[-1] in DANGLING):
        tokens.pop()
    return " ".join(tokens)


def name_blocks(key: str) -> tuple[str, str]:
    """Two short blocking keys that similar names almost always share: the start of the name,
    and the start of its longest word. Candidates for fuzzy scoring must share one of them."""
    if not key:
        return "", ""
    longest = max(key.split(), key=len)
    return key[:BLOCK_LENGTH], longest[:BLOCK_LENGTH]


# The similarity of two name keys, 0-100, insensitive to word order.
scorer = fuzz.token_sort_ratio


def similarity(a: str, b: str) -> int:
    return round(scorer(a, b))
