from vigile.clean import clean
from vigile.sentences import MAX_SENTENCE_CHARS, split

ARTICLE = (
    "Syrie : reprise des combats près de Homs\n"
    "Des combats ont repris jeudi près de Homs, selon une ONG.\u00a0Le bilan n'est pas connu.\n"
    "A LIRE AUSSI\n"
    ">> Syrie : un convoi d'aide attendu à Homs\n"
    "Envie d'afficher votre publicité ?\n"
    "Connectez-vous ou créez un compte pour commenter.\n"
    "franchement cette guerre ne finira jamais personne ne fait rien\n"
)


def test_clean_keeps_offsets_and_blanks_boilerplate():
    c = clean(ARTICLE)
    assert len(c.text) == len(ARTICLE)
    assert "LIRE AUSSI" not in c.text and "publicité" not in c.text and "Connectez" not in c.text
    assert "franchement" not in c.text  # a reader comment
    assert "\u00a0" not in c.text
    for start, end in c.lines:  # kept lines are verbatim in the original, spaces aside
        assert c.text[start:end].replace(" ", "") == ARTICLE[start:end].replace("\u00a0", "").replace(" ", "")


def test_repeated_lines_are_dropped_once_seen():
    c = clean("Un titre de lien assez long pour compter\nTexte.\nUn titre de lien assez long pour compter\n")
    assert len(c.lines) == 2


def test_sentences_split_on_lines_and_stops_but_not_abbreviations():
    sents = [s.text for s in split(clean(ARTICLE))]
    assert sents[0] == "Syrie : reprise des combats près de Homs"
    assert sents[1] == "Des combats ont repris jeudi près de Homs, selon une ONG."
    assert sents[2] == "Le bilan n'est pas connu."
    text = "M. Dupont est arrivé. Il a vu D. B. Martin à Paris."
    assert [s.text for s in split(clean(text))] == ["M. Dupont est arrivé.", "Il a vu D. B. Martin à Paris."]


def test_sentence_offsets_point_into_the_original():
    for s in split(clean(ARTICLE)):
        assert ARTICLE[s.start:s.end].replace("\u00a0", " ") == s.text


def test_long_text_without_punctuation_is_cut():
    text = "mot " * 50_000
    sents = split(clean("Début " + text))
    assert sents and max(len(s.text) for s in sents) <= MAX_SENTENCE_CHARS
