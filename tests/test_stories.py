"""Stories: near-duplicates and cross-lingual clustering over small, hand-written news fixtures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from essentiel.models import Article, stable_id
from essentiel.stories import cluster_articles, default_embedder, duplicate_groups
from essentiel.stories.embed import normalise_rows

T0 = datetime(2023, 2, 6, 8, 0, tzinfo=UTC)

WIRE_TEXT = (
    "L'Assemblée nationale a adopté mardi soir le projet de loi sur l'immigration, au terme d'un débat "
    "tendu qui a duré plus de dix heures. Le texte, soutenu par la majorité et une partie de la droite, "
    "prévoit un durcissement des conditions du regroupement familial et la création d'un titre de séjour "
    "pour les métiers en tension. La gauche a annoncé qu'elle saisirait le Conseil constitutionnel."
)


def art(
    aid: str, title: str, text: str, *, lang: str, outlet: str, hours: float = 0.0, lead: str = ""
) -> Article:
    return Article(
        id=aid,
        url=f"https://www.{outlet}/{aid}",
        title=title,
        lead=lead,
        text=text,
        language=lang,
        outlet=outlet,
        published=T0 + timedelta(hours=hours),
    )


TURKEY_FR = art(
    "tr-fr",
    "Un séisme de magnitude 7,8 frappe la Turquie et la Syrie, des milliers de morts",
    "Un violent tremblement de terre de magnitude 7,8 a frappé lundi à l'aube le sud de la Turquie et le nord "
    "de la Syrie. Les secours recherchent des survivants sous les décombres des immeubles effondrés à "
    "Gaziantep et Kahramanmaras. Le président turc Recep Tayyip Erdogan a décrété sept jours de deuil national.",
    lang="fr",
    outlet="lemonde.fr",
)
TURKEY_EN = art(
    "tr-en",
    "Magnitude 7.8 earthquake strikes Turkey and Syria, thousands killed",
    "A powerful 7.8 magnitude earthquake struck southern Turkey and northern Syria before dawn on Monday. "
    "Rescuers are searching for survivors under the rubble of collapsed buildings in Gaziantep and "
    "Kahramanmaras. Turkish President Recep Tayyip Erdogan declared seven days of national mourning.",
    lang="en",
    outlet="reuters.com",
    hours=2,
)
MOROCCO_EN = art(
    "ma-en",
    "Earthquake in Morocco's Atlas mountains kills more than 2,000",
    "A 6.8 magnitude earthquake hit the High Atlas mountains south of Marrakech late on Friday night, "
    "flattening villages of mud-brick houses. Moroccan authorities said more than 2,000 people had died, "
    "and King Mohammed VI ordered the army to help with the rescue in the province of Al Haouz.",
    lang="en",
    outlet="bbc.co.uk",
    hours=24 * 214,
)
WIRE = [
    art(f"wire-{i}", title, WIRE_TEXT, lang="fr", outlet=outlet, hours=i)
    for i, (title, outlet) in enumerate(
        [
            ("Loi immigration : l'Assemblée adopte le texte", "lefigaro.fr"),
            ("Immigration : le projet de loi adopté par les députés", "ouest-france.fr"),
            ("Les députés votent la loi immigration", "20minutes.fr"),
        ]
    )
]


def test_empty_input() -> None:
    assert cluster_articles([]) == []


def test_single_article_and_empty_fields() -> None:
    empty = Article(id="e1", url="", title="", text="")
    stories = cluster_articles([empty])
    assert len(stories) == 1
    assert stories[0].article_ids == ("e1",)
    assert stories[0].id == stable_id("e1", prefix="s-")
    two = cluster_articles([empty, Article(id="e2", url="", title="", text="")])
    assert sorted(a for s in two for a in s.article_ids) == ["e1", "e2"]


def test_french_and_english_articles_on_same_event_join() -> None:
    stories = cluster_articles([TURKEY_FR, TURKEY_EN, MOROCCO_EN])
    groups = {frozenset(s.article_ids) for s in stories}
    assert frozenset({"tr-fr", "tr-en"}) in groups


def test_two_different_earthquakes_stay_apart() -> None:
    stories = cluster_articles([TURKEY_FR, TURKEY_EN, MOROCCO_EN], window_days=1e6)
    for story in stories:
        assert not ({"ma-en"} < set(story.article_ids))


def test_wire_copy_on_three_outlets_joins_via_dedupe() -> None:
    assert [0, 1, 2] in duplicate_groups(WIRE)
    stories = cluster_articles([*WIRE, TURKEY_FR])
    assert stories[0].article_ids[0].startswith("wire-")
    assert set(stories[0].article_ids) == {"wire-0", "wire-1", "wire-2"}
    assert stories[0].id == stable_id("wire-0", prefix="s-")


def test_deterministic_and_order_independent() -> None:
    items = [TURKEY_FR, TURKEY_EN, MOROCCO_EN, *WIRE]
    first = cluster_articles(items)
    assert cluster_articles(items) == first
    assert cluster_articles(list(reversed(items))) == first
    sizes = [len(s.article_ids) for s in first]
    assert sizes == sorted(sizes, reverse=True)


def test_time_window_splits_same_topic() -> None:
    later = art(
        "tr-en-later",
        "Turkey and Syria earthquake: rescuers still searching rubble in Gaziantep",
        "Rescue teams in Gaziantep and Kahramanmaras kept searching the rubble of collapsed buildings after the "
        "7.8 magnitude earthquake that struck southern Turkey and northern Syria. President Erdogan visited the "
        "region as the death toll kept rising.",
        lang="en",
        outlet="apnews.com",
        hours=24 * 10,
    )
    apart = cluster_articles([TURKEY_EN, later], window_days=3.0)
    assert len(apart) == 2
    together = cluster_articles([TURKEY_EN, later], window_days=30.0)
    assert len(together) == 1
    assert together[0].title  # the most central article's title


def test_title_is_most_central_and_ids_ordered() -> None:
    stories = cluster_articles([TURKEY_FR, TURKEY_EN, *WIRE])
    for story in stories:
        assert story.title
        assert len(set(story.article_ids)) == len(story.article_ids)


class _CountingEmbedder:
    def __init__(self) -> None:
        self.batches: list[int] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.batches.append(len(texts))
        rng = np.random.default_rng(len(texts))
        return normalise_rows(rng.normal(size=(len(texts), 16)))


def test_custom_embedder_is_used() -> None:
    embedder = _CountingEmbedder()
    cluster_articles([TURKEY_FR, TURKEY_EN, MOROCCO_EN], embedder=embedder)
    assert embedder.batches == [3]


@pytest.mark.parametrize("n", [130])
def test_default_embedder_batches_and_normalises(n: int) -> None:
    vectors = default_embedder().encode([f"Article numéro {i} sur la politique française." for i in range(n)])
    assert vectors.shape == (n, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_copy_groups_follow_a_changed_text_under_the_same_id() -> None:
    """Copy groups are remembered per process; an article updated in place (same id, new text) is judged again."""
    wire = " ".join(f"word{i}" for i in range(80))
    other = " ".join(f"other{i}" for i in range(80))
    first = [
        Article(id="a", url="https://a.example/1", title="A", text=wire),
        Article(id="b", url="https://b.example/1", title="B", text=wire),
    ]
    assert duplicate_groups(first) == [[0, 1]]
    assert duplicate_groups(first) == [[0, 1]]  # from the cache, same answer
    updated = [first[0], Article(id="b", url="https://b.example/1", title="B", text=other)]
    assert duplicate_groups(updated) == [[0], [1]]


class _Counting:
    """A fake encoder: one-hot rows by text length; records each call; fails while `fail` is set."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        if self.fail:
            self.fail = False
            raise RuntimeError("encoder not ready")
        rows = np.zeros((len(texts), 512), dtype=np.float32)
        for i, text in enumerate(texts):
            rows[i, len(text) % 512] = 1.0
        return rows


def test_embedding_ahead_answers_later_calls_from_its_work() -> None:
    from essentiel.stories.embed import AheadEmbedder

    inner = _Counting()
    ahead = AheadEmbedder(inner)
    ahead.ahead(["one", "three", "one"])
    rows = ahead.encode(["three", "four!", "one"])
    assert [r.argmax() for r in rows] == [5, 5, 3]
    assert inner.calls == [["one", "three"], ["four!"]]  # each text once, in the background then here


def test_embedding_ahead_that_fails_leaves_the_work_to_the_caller() -> None:
    from essentiel.stories.embed import AheadEmbedder

    inner = _Counting(fail=True)
    ahead = AheadEmbedder(inner)
    ahead.ahead(["alpha"])
    assert ahead.encode(["alpha"]).shape == (1, 512)  # the background call failed; this one encodes it
    assert inner.calls == [["alpha"], ["alpha"]]


def test_embedding_ahead_stops_where_its_cache_would_overflow() -> None:
    from essentiel.stories.embed import AheadEmbedder

    inner = _Counting()
    ahead = AheadEmbedder(inner, max_items=3)
    ahead.ahead(["a", "bb", "ccc", "dddd", "eeeee"])  # only the first three fit until the next encode
    rows = ahead.encode(["a", "bb", "ccc", "dddd", "eeeee"])
    assert [r.argmax() for r in rows] == [1, 2, 3, 4, 5]
    assert sorted(len(t) for call in inner.calls for t in call) == [1, 2, 3, 4, 5]  # none embedded twice


def test_near_copies_found_when_their_shingle_sets_were_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Grouping keeps only the latest shingle sets; an older candidate's set is computed again from its article,
    so a bound of one set gives the same groups as an unbounded one."""
    import essentiel.stories.dedupe as dedupe

    words = [f"mot{i}" for i in range(120)]
    articles = [
        Article(
            id=f"n{k}", url=f"https://o{k}.example/x", title="T", text=" ".join(words[:k] + words[k + 1 :])
        )
        for k in range(6)  # six near copies: each drops one word of the same dispatch
    ] + [
        Article(id="z", url="https://z.example/x", title="Z", text=" ".join(f"autre{i}" for i in range(120)))
    ]
    expected = [[0, 1, 2, 3, 4, 5], [6]]
    monkeypatch.setattr(dedupe, "SHINGLE_SETS", 1)
    assert dedupe._duplicate_groups(articles, dedupe.THRESHOLD, dedupe.NUM_PERM) == expected
    monkeypatch.setattr(dedupe, "SHINGLE_SETS", None)
    assert dedupe._duplicate_groups(articles, dedupe.THRESHOLD, dedupe.NUM_PERM) == expected
