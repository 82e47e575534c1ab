"""Ranking: explainable scores, independent outlets, deterministic order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from essentiel.models import Article, Story, Summary, SummarySentence
from essentiel.rank import RankWeights, independent_outlets, rank_stories

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
COMPONENTS = ("outlets", "articles", "languages", "recency", "authority", "entities")

WIRE_TEXT = (
    "Le Premier ministre a annoncé lundi la dissolution de l'Assemblée nationale, au lendemain des élections "
    "européennes. Les Français sont appelés à voter pour des élections législatives anticipées les 30 juin et "
    "7 juillet. Cette décision a surpris jusque dans les rangs de la majorité présidentielle."
)


def art(
    aid: str, outlet: str, *, text: str = "", lang: str = "fr", hours: float = 2.0, **kw: object
) -> Article:
    return Article(
        id=aid,
        url=f"https://www.{outlet}/{aid}",
        title=f"Dissolution de l'Assemblée nationale : les réactions ({aid})",
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
    assert "3 independent outlets" in ranked[0].why["reason"]
    assert "2 languages" in ranked[0].why["reason"]


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
