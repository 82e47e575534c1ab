"""Extractive summaries: verbatim sentences from the right article, within budget, in the right language."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from essentiel.models import Article, Story
from essentiel.summarize import ExtractiveSummarizer, summarize_story
from essentiel.summarize.clean import has_broken_quote, is_dangling, quoted_share, strip_dateline
from essentiel.summarize.extractive import is_junk
from essentiel.summarize.units import sentence_units

NOW = datetime(2024, 3, 12, 18, 0, tzinfo=UTC)

FR_1 = Article(
    id="fr-1",
    url="https://www.lemonde.fr/a",
    title="Antony Blinken à Kiev pour réaffirmer le soutien américain à l'Ukraine",
    lead=(
        "Le secrétaire d'État américain est arrivé mardi à Kiev pour une visite surprise. "
        "M. Blinken doit annoncer une nouvelle aide militaire de deux milliards de dollars."
    ),
    text=(
        "LIRE AUSSI : NOTRE DIRECT SUR LA GUERRE\n"
        "Antony Blinken a été accueilli à la gare de Kiev par le ministre ukrainien des affaires étrangères, "
        "Dmytro Kouleba, après une nuit de voyage en train depuis la Pologne.\n"
        "« Nous serons aux côtés de l'Ukraine aussi longtemps qu'il le faudra », a déclaré M. Blinken devant "
        "la presse, avant de rencontrer le président Volodymyr Zelensky.\n"
        "Lire aussi : https://www.lemonde.fr/international/article/2024/03/12/ukraine.html\n"
        "Photo d'illustration"
    ),
    language="fr",
    outlet="lemonde.fr",
    published=NOW,
)
FR_2 = Article(
    id="fr-2",
    url="https://www.lefigaro.fr/b",
    title="Visite surprise de Blinken en Ukraine",
    text=(
        "Le chef de la diplomatie américaine Antony Blinken est arrivé mardi matin à Kiev, où il doit "
        "rencontrer Volodymyr Zelensky. Cette visite intervient alors que l'armée ukrainienne manque de "
        "munitions face à l'offensive russe dans l'est du pays. Washington prépare une nouvelle enveloppe "
        "d'aide militaire, selon plusieurs responsables américains."
    ),
    language="fr",
    outlet="lefigaro.fr",
    published=NOW,
)
EN_1 = Article(
    id="en-1",
    url="https://www.reuters.com/c",
    title="Blinken makes surprise visit to Kyiv, pledges more military aid",
    text=(
        "U.S. Secretary of State Antony Blinken arrived in Kyiv on Tuesday on an unannounced visit. "
        "He is expected to announce two billion dollars in new military aid for Ukraine. "
        "Blinken traveled overnight by train from Poland and met Foreign Minister Dmytro Kuleba."
    ),
    language="en",
    outlet="reuters.com",
    published=NOW,
)
STORY = Story(id="s-blinken", article_ids=("fr-1", "en-1", "fr-2"), title=FR_1.title)
ARTICLES = [FR_1, FR_2, EN_1]
SUMMARIZER = ExtractiveSummarizer()


def _source_text(article: Article) -> str:
    return article.lead + "\n" + article.text


def test_sentences_are_verbatim_from_their_article() -> None:
    by_id = {a.id: a for a in ARTICLES}
    for language in ("fr", "en", None):
        summary = SUMMARIZER.summarize(STORY, ARTICLES, language=language)
        assert summary.sentences
        assert summary.story_id == STORY.id
        for sentence in summary.sentences:
            assert sentence.text in _source_text(by_id[sentence.article])


def test_respects_max_words() -> None:
    for budget in (20, 35, 80):
        summary = SUMMARIZER.summarize(STORY, ARTICLES, language="fr", max_words=budget)
        # words as the summariser counts them (\w+ runs); a lone « or — is not a word
        assert len(re.findall(r"\w+", summary.text)) <= budget
        assert 1 <= len(summary.sentences) <= 4


def test_prefers_requested_language_and_falls_back() -> None:
    english = SUMMARIZER.summarize(STORY, ARTICLES, language="en")
    assert {s.article for s in english.sentences} == {"en-1"}
    assert english.title == EN_1.title
    french = SUMMARIZER.summarize(STORY, ARTICLES, language="fr")
    assert {s.article for s in french.sentences} <= {"fr-1", "fr-2"}
    assert french.title == FR_1.title
    german = SUMMARIZER.summarize(STORY, ARTICLES, language="de")
    assert german.sentences  # no German article: falls back to the others


def test_lead_is_preferred() -> None:
    summary = summarize_story(STORY, ARTICLES, language="fr", max_words=40)
    assert summary.sentences[0].article == "fr-1"
    assert summary.sentences[0].text in FR_1.lead


def test_no_junk_sentences() -> None:
    summary = SUMMARIZER.summarize(STORY, ARTICLES, language="fr", max_words=200)
    for sentence in summary.sentences:
        assert not is_junk(sentence.text)
        assert "http" not in sentence.text and "LIRE" not in sentence.text


def test_junk_filter() -> None:
    assert is_junk("Lire aussi : notre direct sur la guerre en Ukraine.")
    assert is_junk("NOTRE DIRECT SUR LA GUERRE EN UKRAINE AUJOURD'HUI.")
    assert is_junk("Voir https://example.com/une-page pour plus de détails sur ce sujet.")
    assert is_junk("Trop court.")
    assert is_junk("Photo d'illustration du port de Marseille et de ses bateaux")
    assert not is_junk("Le secrétaire d'État américain est arrivé mardi à Kiev pour une visite surprise.")
    assert not is_junk("The minister said the talks would resume next week in Geneva.")


def test_empty_story() -> None:
    empty = Article(id="x", url="", title="Titre seul", text="")
    summary = SUMMARIZER.summarize(Story(id="s-x", article_ids=("x",), title="Titre seul"), [empty])
    assert summary.sentences == ()
    assert summary.title == "Titre seul"


def test_deterministic() -> None:
    first = SUMMARIZER.summarize(STORY, ARTICLES, language="fr")
    assert SUMMARIZER.summarize(STORY, list(reversed(ARTICLES)), language="fr") == first


def test_clean_sentences() -> None:
    assert strip_dateline("PARIS (AFP) - Le gouvernement a annoncé lundi un plan d'aide.") == (
        "Le gouvernement a annoncé lundi un plan d'aide."
    )
    assert strip_dateline("WASHINGTON, March 3 (Reuters) — The Senate passed the bill on Friday.") == (
        "The Senate passed the bill on Friday."
    )
    assert strip_dateline("NEW YORK — Stocks fell sharply on Monday after the report.") == (
        "Stocks fell sharply on Monday after the report."
    )
    assert (
        strip_dateline("Paris a été choisie pour accueillir le sommet.")
        == "Paris a été choisie pour accueillir le sommet."
    )
    assert is_dangling("Il a ajouté que la situation restait tendue à la frontière.")
    assert is_dangling("He added that talks would resume next week in Geneva.")
    assert is_dangling("Mais le ministre a refusé de commenter ces informations.")
    assert not is_dangling("Il y a eu trois morts et dix blessés dans l'accident.")
    assert not is_dangling("Le ministre a ajouté que la situation restait tendue.")
    assert has_broken_quote("« Nous serons aux côtés de l'Ukraine aussi longtemps qu'il le faudra.")
    assert has_broken_quote('He said "the talks were over.')
    assert not has_broken_quote("« Nous serons là », a déclaré M. Blinken.")


WIRE = Article(
    id="wire-1",
    url="https://www.example.fr/w",
    title="Séisme : un tremblement de terre frappe le sud de la Turquie",
    text=(
        "ANKARA (AFP) - Un violent tremblement de terre de magnitude 6,1 a frappé lundi le sud de la Turquie, "
        "faisant au moins douze morts selon les autorités.\n"
        "Il a ajouté que les secours étaient à pied d'œuvre dans plusieurs villages isolés de la région.\n"
        "« Les recherches se poursuivront toute la nuit, a déclaré le gouverneur de la province d'Adana.\n"
        "Un séisme de magnitude 6,1 a secoué lundi le sud de la Turquie, faisant au moins douze morts.\n"
        "Des centaines de bâtiments ont été endommagés et des milliers d'habitants ont passé la nuit dehors."
    ),
    language="fr",
    outlet="example.fr",
)


def test_summary_is_clean_traceable_and_not_redundant() -> None:
    story = Story("s-wire", ("wire-1",))
    summary = SUMMARIZER.summarize(story, [WIRE], language="fr", max_words=60)
    texts = [s.text for s in summary.sentences]
    assert texts[0].startswith("Un violent tremblement de terre")  # dateline stripped
    assert all(t in WIRE.text for t in texts)  # still a verbatim substring of the article
    assert not any(t.startswith(("Il a ajouté", "«")) for t in texts)
    assert not any("Un séisme de magnitude 6,1 a secoué" in t for t in texts)  # a paraphrase of the first
    assert 2 <= len(texts) <= 3
    assert summary.title == "Un tremblement de terre frappe le sud de la Turquie"  # kicker apart


def test_default_budget_is_60_words() -> None:
    summary = SUMMARIZER.summarize(STORY, ARTICLES, language="fr")
    assert len(re.findall(r"\w+", summary.text)) <= 60
    assert 1 <= len(summary.sentences) <= 3


def test_sentence_units_are_verbatim_whole_sentences() -> None:
    glued = (
        "Ce rappel concerne des gels de la marque Symex. Ils contiennent 30 millilitres.La DGCCRF estime qu'ils "
        'possèdent une "teneur en éthanol insuffisante".'
    )
    assert sentence_units(glued, "fr") == [
        "Ce rappel concerne des gels de la marque Symex.",
        "Ils contiennent 30 millilitres.",
        'La DGCCRF estime qu\'ils possèdent une "teneur en éthanol insuffisante".',
    ]
    quoted = (
        "Julien Durand dénonce la situation. \"C'est désolant. Ce qui se passe dans la Zad n'est pas "
        'respectueux des paysans", a déclaré Julien Durand. "Qui a fait ça?", demandait l\'animateur de C8.'
    )
    units = sentence_units(quoted, "fr")
    assert units == [
        "Julien Durand dénonce la situation.",
        "\"C'est désolant. Ce qui se passe dans la Zad n'est pas respectueux des paysans\", a déclaré Julien Durand.",
        '"Qui a fait ça?", demandait l\'animateur de C8.',
    ]
    assert all(u in quoted for u in units)
    never_closed = "« Nous resterons. Nous ne partirons pas. La ville est calme."
    assert sentence_units(never_closed, "fr") == [
        "« Nous resterons.",
        "Nous ne partirons pas.",
        "La ville est calme.",
    ]
    assert sentence_units("Premier paragraphe ici.\n\nSecond paragraphe là.", "fr") == [
        "Premier paragraphe ici.",
        "Second paragraphe là.",
    ]


def test_a_speaker_known_only_by_a_pronoun_is_dangling() -> None:
    assert is_dangling('"La police fera de la pédagogie avant tout", a-t-il ajouté.')
    assert is_dangling("« Jamais je n'accepterai cela », explique-t-elle samedi.")
    assert is_dangling("Selon lui, la réforme ne passera pas avant l'été prochain.")
    assert is_dangling('"We will stay until the end of the talks," he said.')
    assert is_dangling("Her career started almost by accident in the 1950s.")
    assert is_dangling("Son frère a été arrêté mardi à Marseille.")
    assert not is_dangling('"La police fera de la pédagogie avant tout", a déclaré le préfet du Nord.')
    assert not is_dangling("Un policier a été tué vendredi soir, a-t-on appris de sources concordantes.")
    assert not is_dangling("Le chef de l'État a rencontré Jean-Pierre Raffarin à Saint-Denis.")
    said = "« Nous serons là », a déclaré M. Blinken."
    assert quoted_share(said) == pytest.approx(len("« Nous serons là »") / len(said))
    assert quoted_share("Le ministre est arrivé mardi.") == 0.0


def test_a_sentence_saying_what_the_headline_says_is_preferred() -> None:
    """Two sentences as central as each other: the headline's words decide (title_words_weight)."""
    article = Article(
        id="h-1",
        url="",
        title="Grève à la SNCF : le trafic des TER perturbé en Bretagne",
        text=(
            "Le festival de musique de Rennes a attiré des milliers de spectateurs samedi soir.\n"
            "Le trafic des TER est fortement perturbé en Bretagne en raison d'une grève à la SNCF."
        ),
        language="fr",
    )
    story = Story("s-h", ("h-1",))
    on = ExtractiveSummarizer(title_words_weight=1.0, max_sentences=1)
    assert on.summarize(story, [article], max_words=20).sentences[0].text.startswith("Le trafic des TER")
    focus = on.focus([article], "fr")
    assert focus is not None and {"grève", "sncf", "trafic", "ter"} <= focus.terms
    assert ExtractiveSummarizer(title_words_weight=0.0, title_weight=0.0).focus([article], "fr") is None


def test_quotations_over_two_sentences_are_one_unit_of_the_summary() -> None:
    article = Article(
        id="q-1",
        url="",
        title="Inondations dans le Gard",
        text=(
            "Des pluies diluviennes ont provoqué des inondations dans le Gard dans la nuit de lundi à mardi.\n"
            '"La situation est grave. Nous avons évacué plus de 300 personnes", a déclaré le préfet du Gard.'
        ),
        language="fr",
    )
    summary = SUMMARIZER.summarize(Story("s-q", ("q-1",)), [article], max_words=60)
    texts = [s.text for s in summary.sentences]
    assert (
        '"La situation est grave. Nous avons évacué plus de 300 personnes", a déclaré le préfet du Gard.'
        in texts
    )
    assert 'Nous avons évacué plus de 300 personnes", a déclaré le préfet du Gard.' not in texts
    assert all(t in article.text for t in texts)


def test_rouge_is_french_aware_and_the_ecb_sample_names_each_event() -> None:
    from essentiel.evaluation.summaries import eval_ecb, lead, rouge, tokens

    assert tokens("L'été à Orléans, 2024 !") == ["l", "été", "à", "orléans", "2024"]
    assert rouge("Le préfet a évacué la ville.", "Le préfet a évacué la ville.") == (1.0, 1.0, 1.0)
    r1, r2, rl = rouge("le préfet évacue", "le préfet a évacué la ville")
    assert r1 == pytest.approx(2 * (2 / 3) * (2 / 6) / (2 / 3 + 2 / 6)) and r2 == pytest.approx(
        2 * 0.5 * 0.2 / 0.7
    )
    assert rl == pytest.approx(r1)
    assert lead("Une phrase ici. Une autre phrase là. Une troisième.", sentences=2) == (
        "Une phrase ici. Une autre phrase là."
    )
    second = replace(FR_2, id="fr-2b", outlet="autre.fr")
    events = {"1_ecb": [FR_1, FR_2, second], "2_ecb": [EN_1]}
    result = eval_ecb(events, SUMMARIZER, show=1)
    assert result["events"] == 2 and 0.0 <= result["redundancy_rate"] <= 1.0
    (row,) = result["sample"]
    assert row["event"] == "1_ecb" and row["article"] in {"fr-1", "fr-2", "fr-2b"}
    source = {a.id: a for a in events["1_ecb"]}[row["article"]]
    assert row["first_sentence"] in _source_text(source) and row["article_title"] == source.title
