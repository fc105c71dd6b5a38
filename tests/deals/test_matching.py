"""Company-name normalization: real-world spellings of one company reduce to one key."""

import pytest

from deals.matching import name_blocks, normalize_company_name, similarity


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ACME, Inc.", "Acme Incorporated"),
        ("Société Générale S.A.", "Societe Generale"),
        ("Société Générale SA", "SOCIETE GENERALE"),
        ("Siemens AG", "siemens"),
        ("Bosch GmbH", "Bosch G.m.b.H."),
        ("Tesco PLC", "Tesco p.l.c."),
        ("Philips N.V.", "Philips NV"),
        ("ING Bank B.V.", "ING Bank"),
        ("Nestlé S.A.", "Nestle"),
        ("Müller & Söhne KG", "Muller and Sohne"),
        ("Straße Logistik GmbH & Co. KG", "Strasse Logistik"),
        ("The Home Depot, Inc.", "Home Depot"),
        ("Atlassian Pty Ltd", "Atlassian"),
        ("Acme Corp.", "ACME Corporation"),
        ("Acme, LLC", "Acme L.L.C."),
        ("Volvo AB", "volvo"),
        ("Nokia Oyj", "Nokia"),
        ("Fiat S.p.A.", "FIAT"),
        ("Zara S.L.", "zara"),
        ("  Globex   Solutions  ", "globex solutions"),
        ("ABC S.A. de C.V.", "ABC"),
        ("L'Oréal", "LOreal"),
        ("Grupo Bimbo S.A.B. de C.V.", "Grupo Bimbo S.A.B."),
    ],
)
def test_spellings_of_one_company_have_one_key(a, b):
    assert normalize_company_name(a) == normalize_company_name(b) != ""


@pytest.mark.parametrize(
    ("a", "b"),
    [("Acme Cloud", "Acme"), ("General Motors", "General Electric"), ("Apple", "Applied Materials")],
)
def test_different_companies_keep_different_keys(a, b):
    assert normalize_company_name(a) != normalize_company_name(b)


def test_a_name_that_is_only_a_legal_form_is_kept():
    assert normalize_company_name("Company") == "company"
    assert normalize_company_name("The Group") == "group"


def test_punctuation_only_is_empty():
    assert normalize_company_name("—!!") == ""


def test_blocks_are_the_start_of_the_name_and_of_its_longest_word():
    assert name_blocks("the international widgets") == ("the ", "inte")
    assert name_blocks("initech software") == ("init", "soft")
    assert name_blocks("") == ("", "")


def test_similarity_ignores_word_order_and_scores_typos_high():
    assert similarity("systems initech", "initech systems") == 100
    assert similarity("initech systems", "initec systems") >= 95
    assert similarity("initech systems", "globex solutions") < 50
