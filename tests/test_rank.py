"""Ranking: explainable scores, independent outlets, deterministic order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from essentiel.models import Article, Edition, Story, Summary, SummarySentence
from essentiel.rank import RankWeights, independent_outlets, key_entities, rank_stories

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
COMPONENTS = (
    "outlets",
    "articles",
    "languages",
    "countries",
    "velocity",
    "recency",
    "authority",
    "entities",
    "novelty",
    "prominence",
)

WIRE_TEXT = (
    "Le Premier ministre a annoncé lundi la dissolution de l'Assemblée nationale, au lendemain des élections "
    "européennes. Les Français sont appelés à voter pour des élections législatives anticipées les 30 juin et "
    "7 juillet. Cette décision a surpris jusque dans les rangs de la majorité présidentielle."
)


def art(
    aid: str,
    outlet: str,
    *,
    text: str = "",
    lang: str = "fr",
    hours: float = 2.0,
    title: str = "",
    **kw: object,
) -> Article:
    return Article(
        id=aid,
        url=f"https://www.{outlet}/{aid}",
        title=title or f"Nouvelle {aid}",
        text=text
        or f"L'article {aid} raconte comment Emmanuel Macron a dissous l'Assemblée nationale à Paris.",
        language=lang,
        outlet=outlet,
        published=NOW - timedelta(hours=hours),
        **kw,  # type: ignore[arg-type]
    )


class StubSummarizer:
    """Keeps ranking tests independent from the embedding model."""

    def summarize(
        self, story: Story, articles: object, *, language: str | None = None, max_words: int = 80
    ) -> Summary:
        return Summary(story.id, story.title, (SummarySentence("Une phrase.", story.article_ids[0]),))


def _rank(stories: list[Story], articles: list[Article], **kw: object) -> list:
    by_id = {a.id: a for a in articles}
    return rank_stories(stories, by_id, now=NOW, summarizer=StubSummarizer(), **kw)  # type: ignore[arg-type]


def test_multi_outlet_story_outranks_single_article() -> None:
    multi = [
        art("m1", "lemonde.fr", hours=20),
        art("m2", "lefigaro.fr", hours=20),
        art("m3", "bbc.co.uk", lang="en"),
    ]
    single = [art("s1", "liberation.fr", hours=0)]
    stories = [Story("s-single", ("s1",), "Seul"), Story("s-multi", ("m1", "m2", "m3"), "Plusieurs")]
    ranked = _rank(stories, multi + single)
    assert [r.story.id for r in ranked] == ["s-multi", "s-single"]
    assert [r.rank for r in ranked] == [1, 2]
    assert ranked[0].outlets == ("bbc.co.uk", "lefigaro.fr", "lemonde.fr")
    assert ranked[0].languages == ("en", "fr")
    assert ranked[0].why["reason_en"].startswith("3 outlets, 2 languages")
    assert ranked[0].why["reason_fr"].startswith("3 médias, 2 langues")
    assert ranked[0].why["countries"]["value"] == 2  # .fr and .co.uk


def test_wire_copies_count_as_one_outlet() -> None:
    copies = [art(f"w{i}", outlet, text=WIRE_TEXT) for i, outlet in enumerate(["a.fr", "b.fr", "c.fr"])]
    assert independent_outlets(copies) == ["a.fr"]
    wire_service = [art("afp1", "afp.com", independent=False), art("afp2", "reuters.com", independent=False)]
    assert len(independent_outlets(wire_service + [art("own", "lemonde.fr")])) == 2
    ranked = _rank([Story("s-w", ("w0", "w1", "w2"), "Dépêche")], copies)
    assert ranked[0].why["outlets"]["value"] == 1
    assert ranked[0].why["outlets"]["contribution"] == 0.0


@pytest.mark.parametrize("weights", [RankWeights(), RankWeights(outlets=1.0, recency=0.0, authority=2.0)])
def test_why_components_sum_to_score(weights: RankWeights) -> None:
    articles = [art("a", "lemonde.fr", source_weight=1.5), art("b", "bbc.co.uk", lang="en", hours=30)]
    ranked = _rank([Story("s-ab", ("a", "b"), "AB")], articles, weights=weights)
    why = ranked[0].why
    total = sum(why[name]["contribution"] for name in COMPONENTS if name in why)
    assert total == pytest.approx(ranked[0].score, abs=1e-5)
    assert isinstance(why["reason"], str) and why["reason"]


def test_missing_dates_are_neutral() -> None:
    undated = Article(id="u", url="", title="Sans date", text="Un texte sans date de publication connue.")
    ranked = _rank([Story("s-u", ("u",), "Sans date")], [undated])
    assert ranked[0].why["recency"]["value"] == 0.5
    assert ranked[0].why["age_hours"] is None


def test_ties_are_deterministic_and_top() -> None:
    articles = [art(f"t{i}", f"site{i}.fr") for i in range(4)]
    stories = [Story(f"s-{c}", (f"t{i}",), c) for i, c in zip(range(4), "dbca", strict=True)]
    first = _rank(stories, articles)
    assert [r.story.id for r in first] == ["s-a", "s-b", "s-c", "s-d"]
    assert [r.story.id for r in _rank(list(reversed(stories)), articles)] == ["s-a", "s-b", "s-c", "s-d"]
    assert [r.story.id for r in _rank(stories, articles, top=2)] == ["s-a", "s-b"]


def test_entities_and_default_summarizer() -> None:
    articles = [
        art(
            "e1",
            "lemonde.fr",
            text="Emmanuel Macron a annoncé la dissolution de l'Assemblée nationale depuis l'Élysée, à Paris.",
        ),
        art(
            "e2",
            "lefigaro.fr",
            text="Marine Le Pen et Jordan Bardella ont salué la décision d'Emmanuel Macron.",
        ),
    ]
    ranked = rank_stories([Story("s-e", ("e1", "e2"), "Dissolution")], {a.id: a for a in articles}, now=NOW)
    names = [text for text, _ in ranked[0].entities]
    assert "Emmanuel Macron" in names
    assert all(label in {"PER", "PERSON", "LOC", "GPE", "ORG"} for _, label in ranked[0].entities)
    assert ranked[0].summary.sentences
    assert ranked[0].summary.sentences[0].article in {"e1", "e2"}


def test_empty_inputs() -> None:
    assert rank_stories([], {}, now=NOW) == []


def _edition(ranked: list) -> Edition:
    return Edition(day=NOW.date(), created_at=NOW, stories=tuple(ranked))


def _pair(prefix: str, outlets: list[str], **kw: object) -> list[Article]:
    return [
        art(f"{prefix}{i}", o, title=f"{prefix} histoire numéro {i}", **kw) for i, o in enumerate(outlets)
    ]


def test_more_independent_outlets_rank_higher_all_else_equal() -> None:
    few = _pair("few", ["a.fr", "b.fr"])
    many = _pair("many", ["c.fr", "d.fr", "e.fr", "f.fr"])
    # the same number of articles: the difference is only who wrote them
    many = many[:2] + [replace(many[2], outlet="c.fr"), replace(many[3], outlet="d.fr")]
    few = few + [replace(a, id=a.id + "x", outlet="g.fr") for a in few]
    stories = [Story("s-few", tuple(a.id for a in few)), Story("s-many", tuple(a.id for a in many))]
    ranked = _rank(stories, few + many)
    scores = {r.story.id: r.why["outlets"]["value"] for r in ranked}
    assert scores == {"s-few": 3, "s-many": 2}
    assert ranked[0].story.id == "s-few"


def test_syndication_does_not_inflate() -> None:
    own = [
        art(f"o{i}", f"own{i}.fr", text=f"Un texte propre numéro {i} sur la dissolution.") for i in range(3)
    ]
    copies = [
        art(f"c{i}", f"copy{i}.fr", text=WIRE_TEXT, title="Dépêche sur la dissolution") for i in range(8)
    ]
    alone = _rank([Story("s-own", tuple(a.id for a in own))], own)[0]
    padded = _rank([Story("s-own", tuple(a.id for a in own + copies))], own + copies)[0]
    assert padded.why["outlets"]["value"] == alone.why["outlets"]["value"] + 1  # eight copies = one voice
    wire = [art(f"w{i}", f"wire{i}.com", independent=False, title=f"Fil {i}") for i in range(5)]
    assert len(independent_outlets(own + wire)) == 4


def test_novelty_sinks_an_old_story() -> None:
    old = _pair("old", ["a.fr", "b.fr", "c.fr"], hours=20)
    fresh = _pair("new", ["d.fr", "e.fr"], hours=20)
    stories = [Story("s-old", tuple(a.id for a in old)), Story("s-new", tuple(a.id for a in fresh))]
    without = _rank(stories, old + fresh)
    assert without[0].story.id == "s-old" and "novelty" not in without[0].why
    yesterday = _edition(_rank(stories[:1], old))
    ranked = _rank(stories, old + fresh, previous=yesterday)
    assert [r.story.id for r in ranked] == ["s-new", "s-old"]
    assert ranked[1].why["novelty"]["status"] == "unchanged"
    assert ranked[1].why["novelty"]["contribution"] < 0
    assert ranked[0].why["reason_fr"].endswith("nouveau depuis hier : oui")
    assert ranked[1].why["reason_en"].endswith("new since yesterday: no")
    # the same story with new articles is an update, not a sunk story
    more = old + _pair("more", ["f.fr"], hours=1)
    grown = Story("s-old", tuple(a.id for a in more))
    update = _rank([grown], more, previous=yesterday)[0]
    assert update.why["novelty"]["status"] == "continued"
    assert update.why["novelty"]["value"] == pytest.approx(0.25)


def test_velocity_counts_recent_articles_against_the_past() -> None:
    burst = _pair("b", ["a.fr", "b.fr", "c.fr"], hours=1) + _pair("old", ["d.fr"], hours=20)
    steady = _pair("s", ["a.fr", "b.fr", "c.fr", "d.fr"], hours=20)
    ranked = _rank(
        [Story("s-b", tuple(a.id for a in burst)), Story("s-s", tuple(a.id for a in steady))], burst + steady
    )
    by_id = {r.story.id: r for r in ranked}
    assert by_id["s-b"].why["velocity"]["value"] == 3
    assert by_id["s-b"].why["velocity"]["contribution"] > 0
    assert by_id["s-s"].why["velocity"]["contribution"] == 0
    assert "3 in the last 3 hours" in by_id["s-b"].why["reason_en"]


def test_single_source_needs_authority() -> None:
    multi = [_pair(f"m{k}", ["a.fr", "b.fr"], hours=40) for k in range(2)]
    lone = art("lone", "blog.fr", hours=0, title="Un billet isolé")
    agency = art("agency", "reference.fr", hours=0, title="Une annonce officielle", source_weight=2.0)
    stories = [Story(f"s-m{k}", tuple(a.id for a in m)) for k, m in enumerate(multi)]
    stories += [Story("s-lone", ("lone",)), Story("s-agency", ("agency",))]
    articles = [a for m in multi for a in m] + [lone, agency]
    order = [r.story.id for r in _rank(stories, articles)]
    assert order[-1] == "s-lone"  # kept back behind every multi-source story
    assert order.index("s-agency") < order.index("s-m0")  # authoritative: competes on its score
    assert [r.story.id for r in _rank(stories, articles, top=2)] == order[:2]


def test_near_identical_topics_once_and_quotas() -> None:
    topic = "Dissolution de l'Assemblée nationale : les réactions"
    a = [replace(x, title=topic) for x in _pair("a", ["a.fr", "b.fr", "c.fr"])]
    b = [replace(x, title=topic + " des partis") for x in _pair("b", ["d.fr", "e.fr"])]
    c = _pair("c", ["f.fr", "g.fr"])
    c = [replace(x, title=f"Finale de football, récit {i}") for i, x in enumerate(c)]
    stories = [Story("s-a", tuple(x.id for x in a)), Story("s-b", tuple(x.id for x in b))]
    stories.append(Story("s-c", tuple(x.id for x in c)))
    ranked = _rank(stories, a + b + c)
    assert [r.story.id for r in ranked] == ["s-a", "s-c"]  # s-b tells the same topic as s-a
    quota = _rank(stories, a + b + c, categories={"s-a": "sport", "s-c": "sport"}, quotas={"sport": 1})
    assert [r.story.id for r in quota] == ["s-a"]


def test_same_input_same_edition() -> None:
    articles = [a for k in range(5) for a in _pair(f"d{k}", [f"x{k}.fr", "y.fr", "z.de"][: 1 + k % 3])]
    stories = [Story(f"s-{k}", tuple(a.id for a in articles if a.id.startswith(f"d{k}"))) for k in range(5)]
    first = _rank(stories, articles)
    again = _rank(list(reversed(stories)), list(reversed(articles)))
    assert [(r.story.id, r.score, dict(r.why)) for r in first] == [
        (r.story.id, r.score, dict(r.why)) for r in again
    ]


@pytest.mark.parametrize("outlets", [1, 2, 3, 5])
def test_one_more_independent_outlet_ranks_higher_and_only_the_outlets_component_differs(
    outlets: int,
) -> None:
    """Two stories with the same number of articles, languages, countries and times: one more outlet wins."""
    articles_each = outlets + 1
    more = [art(f"m{i}", f"m{i}.fr", title=f"Plus histoire {i}") for i in range(articles_each)]
    fewer = [art(f"f{i}", f"f{i % outlets}.fr", title=f"Moins histoire {i}") for i in range(articles_each)]
    # "s-a..." would win a tie on its id: the story with more outlets is named to lose any tie
    stories = [Story("s-a-fewer", tuple(a.id for a in fewer)), Story("s-z-more", tuple(a.id for a in more))]
    ranked = _rank(stories, fewer + more)
    assert [r.story.id for r in ranked] == ["s-z-more", "s-a-fewer"]
    top, other = ranked[0].why, ranked[1].why
    assert (top["outlets"]["value"], other["outlets"]["value"]) == (outlets + 1, outlets)
    for name in COMPONENTS:
        if name != "outlets" and name in top:
            assert top[name]["contribution"] == other[name]["contribution"], name


def test_wire_copies_add_neither_articles_nor_velocity() -> None:
    """Three own texts and eight outlets running one wire text score as four texts from four voices."""
    own = [
        art(f"o{i}", f"own{i}.fr", text=f"Un texte propre numéro {i} sur la dissolution.") for i in range(3)
    ]
    copies = [art(f"c{i}", f"copy{i}.fr", text=WIRE_TEXT, title="Dépêche") for i in range(8)]
    four = [
        art(f"q{i}", f"four{i}.fr", text=f"Un autre texte numéro {i} sur la dissolution.") for i in range(4)
    ]
    stories = [
        Story("s-a-padded", tuple(a.id for a in own + copies)),
        Story("s-b-four", tuple(a.id for a in four)),
    ]
    ranked = {r.story.id: r for r in _rank(stories, own + copies + four)}
    padded, plain = ranked["s-a-padded"], ranked["s-b-four"]
    for name in ("outlets", "articles", "velocity"):
        assert padded.why[name]["value"] == plain.why[name]["value"] == 4, name
    assert padded.score == pytest.approx(plain.score)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_component_has_a_readable_label_and_reason(lang: str) -> None:
    from essentiel.web.i18n import Translator

    old = [art("o1", "lemonde.fr", hours=30), art("o2", "bbc.co.uk", lang="en", hours=30)]
    yesterday = _edition(_rank([Story("s-x", ("o1", "o2"))], old))
    articles = old + [art("n1", "lefigaro.fr", hours=1)]
    ranked = _rank(
        [Story("s-x", ("o1", "o2", "n1"))],
        articles,
        weights=RankWeights(entities=1.0),
        previous=yesterday,
        positions={"n1": 0, "o2": 3},
        ui_language=lang,
    )
    why = ranked[0].why
    shown = {key for key, entry in why.items() if isinstance(entry, dict) and "contribution" in entry}
    assert shown == set(COMPONENTS)  # every component is computed here, so every label is checked
    translator = Translator(lang)
    missing = sorted(key for key in shown if not translator.has(f"factor_{key}"))
    assert missing == [], f"components without a {lang} label: {missing}"
    labels = [label for label, _, _ in translator.why_factors(why)]
    assert len(labels) == len(shown) and len(set(labels)) == len(labels)
    assert "_" not in "".join(labels)
    expected = {
        "fr": ("3 médias", "2 langues", "à la une de 2 médias", "nouveau depuis hier : suite"),
        "en": ("3 outlets", "2 languages", "top story at 2 outlets", "new since yesterday: update"),
    }[lang]
    for phrase in expected:
        assert phrase in why["reason"], why["reason"]


def test_key_entities_first_those_most_articles_name_and_never_a_wire_agency() -> None:
    """One article naming Marine Le Pen five times does not outrank a person named by all three; "(AFP)" and
    "Reuters" credits are not subjects."""
    articles = [
        art("k1", "lemonde.fr", text="Emmanuel Macron a reçu Olaf Scholz à Paris, rapporte l'AFP. (AFP)"),
        art("k2", "lefigaro.fr", text="Emmanuel Macron et Olaf Scholz ont parlé de défense, selon Reuters."),
        art(
            "k3",
            "liberation.fr",
            text="Marine Le Pen critique Emmanuel Macron. Marine Le Pen, Marine Le Pen et encore Marine Le Pen. "
            "Pour Marine Le Pen, c'est une erreur.",
        ),
    ]
    found = key_entities(articles, "fr")
    names = [name for name, _, _ in found]
    assert names[0] == "Emmanuel Macron"
    assert names.index("Olaf Scholz") < names.index("Marine Le Pen")
    assert dict((n, c) for n, _, c in found)["Marine Le Pen"] >= 4  # counts are still mentions
    assert not {"AFP", "Reuters"} & set(names)
