"""The language of a message among Attenda's five, and the folded text the lexicons read."""

from attenda.triage.language import Lexicon, detect, fold


def test_romanian_cedilla_and_comma_letters_fold_alike():
    assert fold("Ştiţi") == fold("Știți") == fold("stiti") == " stiti "


def test_polish_letters_fold_to_their_base_letters():
    assert fold("Łódź, żółć!") == " lodz zolc "


def test_each_language_is_told_apart_on_a_short_sentence():
    detected = [
        detect(text)[0]
        for text in (
            "A minha fatura veio errada.",
            "Mi factura ha llegado mal.",
            "Factura mea a venit greșit.",
            "Moja faktura przyszła błędna.",
            "My bill came wrong.",
        )
    ]

    assert detected == ["pt", "es", "ro", "pl", "en"]


def test_too_short_a_text_takes_the_fallback():
    assert detect("ok", fallback="ro") == ("ro", 0.0)
    assert detect("?", fallback="") == ("", 0.0)


def test_an_unclear_text_takes_the_fallback_and_a_clear_one_does_not():
    unclear_language, unclear_confidence = detect("Internet", fallback="pl")
    clear_language, clear_confidence = detect("Não tenho internet desde ontem.", fallback="pl")

    assert (unclear_language, clear_language) == ("pl", "pt")
    assert unclear_confidence < 0.5 <= clear_confidence


def test_a_lexicon_finds_word_starts_and_whole_words_only_when_asked():
    lexicon = Lexicon([("factur", "bill"), ("iar ", "again")])

    found = lexicon.find(fold("Iar facturação? Iarna e grea."))

    assert found == [("iar ", ["again"]), ("factur", ["bill"])]
