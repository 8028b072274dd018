"""Normalisation for keys: folding, stop words per language, numbers in titles, names."""

from __future__ import annotations

import pytest

from aggregation.dedup.text import clean, fold, key_words, parse_name, title_numbers, words
from aggregation.dedup.words import STOP_WORDS, STOP_WORDS_BY_LANGUAGE


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Ludäscher", "ludascher"),
        ("Straße ÆON Œuvre Łódź", "strasse aeon oeuvre lodz"),
        ("Conceição, São Paulo — 2ª edição", "conceicao sao paulo 2a edicao"),
        ("NAÏVE Café: résumé!", "naive cafe resume"),
        ("Ελληνικά Κείμενα", "ελληνικα κειμενα"),  # other scripts keep their letters
        ("  many   spaces\n", "many spaces"),
        ("", ""),
    ],
)
def test_fold_removes_accents_case_and_punctuation(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_html_character_references_are_decoded() -> None:
    assert fold("Ludäscher") == fold("Lud&#228;scher") == fold("Lud&auml;scher")
    assert clean("bertram lud &#228; scher") == "bertram ludäscher"  # tokenised export
    assert clean("Bauer &#38; Sons") == "Bauer & Sons"
    assert clean("AT&T and R&D") == "AT&T and R&D"


@pytest.mark.parametrize(
    ("lang", "title", "keys"),
    [
        ("en", "The Analysis of the Systems in a Network", ["analysis", "systems", "network"]),
        (
            "es",
            "La evaluación de los sistemas para el aprendizaje",
            ["evaluacion", "sistemas", "aprendizaje"],
        ),
        ("pt", "Uma análise dos sistemas na educação", ["analise", "sistemas", "educacao"]),
        (
            "fr",
            "L'évaluation des systèmes dans l'enseignement",
            ["evaluation", "systemes", "enseignement"],
        ),
        (
            "de",
            "Die Bewertung der Systeme für den Unterricht",
            ["bewertung", "systeme", "unterricht"],
        ),
        ("it", "La valutazione dei sistemi nella scuola", ["valutazione", "sistemi", "scuola"]),
    ],
)
def test_stop_words_of_each_language_are_dropped_from_keys(
    lang: str, title: str, keys: list[str]
) -> None:
    assert key_words(words(title)) == keys
    dropped = set(words(title)) - set(keys)
    assert dropped <= STOP_WORDS_BY_LANGUAGE[lang]


def test_words_that_are_content_words_in_another_language_are_kept() -> None:
    assert key_words(words("The war in Iraq")) == ["war", "iraq"]
    assert "war" in STOP_WORDS_BY_LANGUAGE["de"]
    assert "war" not in STOP_WORDS


@pytest.mark.parametrize(
    ("title", "numbers"),
    [
        ("Part II: results", {2}),
        ("Parte 2: resultados", {2}),
        ("Volume III of the series", {3}),
        ("Part I", {1}),
        ("The 4th workshop", {4}),
        ("The fourth workshop", {4}),
        ("Trends of the XXth century", set()),  # "xxth" is not a numeral word
        ("XX century studies", {20}),
        ("COVID-19 in 2020", {19, 2020}),
        ("B2B commerce and H2O", set()),  # digits inside words are names
        ("A survey of I/O and civil mixes", set()),  # lone "i" is a pronoun, "civil" a word
        ("Mix and match in CD and DC", set()),
    ],
)
def test_title_numbers_read_arabic_and_roman_numerals(title: str, numbers: set[int]) -> None:
    assert title_numbers(words(title)) == numbers


@pytest.mark.parametrize(
    ("raw", "surname", "initials"),
    [
        ("Smith, John A.", "smith", "ja"),
        ("John A. Smith", "smith", "ja"),
        ("J. A. Smith", "smith", "ja"),
        ("Smith JA", "smith", "ja"),
        ("Smith J.A.", "smith", "ja"),
        ("García Márquez, Gabriel", "marquez", "g"),
        ("Ludwig van Beethoven", "beethoven", "l"),
        ("Hans-Jörg Schek", "schek", "hj"),
        ("hans-j &#246; rg schek", "schek", "hj"),
        ("daniel barbar á", "barbara", "d"),
        ("Y. S. Jiang", "jiang", "ys"),
    ],
)
def test_names_are_split_into_surname_and_initials(raw: str, surname: str, initials: str) -> None:
    name = parse_name(raw)
    assert name is not None
    assert (name.surname, name.initials) == (surname, initials)


def test_a_name_without_letters_is_none() -> None:
    assert parse_name("?") is None
    assert parse_name("") is None
