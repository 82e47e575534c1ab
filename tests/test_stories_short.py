"""Short articles (headlines, a headline and a description): datelines, few-names scoring, the names rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from essentiel.models import Article
from essentiel.stories import cluster_articles
from essentiel.stories.embed import default_embedder
from essentiel.stories.online import OnlineClusterer, Params, is_short
from essentiel.stories.signals import Lexicon, Signals, compute_signals
from essentiel.stories.text import is_dateline

T0 = datetime(2024, 11, 20, 9, 0, tzinfo=UTC)


def item(aid: str, title: str, hours: float, lead: str = "", lang: str = "en") -> Article:
    return Article(
        id=aid,
        url=f"https://www.outlet{aid}.example/{aid}",
        title=title,
        lead=lead,
        text="",
        language=lang,
        outlet=f"outlet{aid}.example",
        published=T0 + timedelta(hours=hours),
    )


@pytest.mark.parametrize(
    "text",
    [
        "Updated Saturday, December 05, 2009 8:28 PM",
        "DECEMBER 16, 2008",
        "Posted 11 / 27 / 2005 7:21 AM",
        "Sunday, March 17, 2013 | 5:00 PM",
        "Updated: November 11, 2011 20:09 IST",
        "Publié le 12 mars 2024 à 10h30",
        "Mis à jour le mardi 3 septembre",
    ],
)
def test_datelines_are_recognised(text: str) -> None:
    assert is_dateline(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Theresa May resigns",
        "July 21, 2013, 2:21 pm BST A large fire broke out at the supermarket",
        "Séisme de magnitude 6,1 au Chili le 12 mars",
        "2024 Olympics open in Paris",
    ],
)
def test_texts_that_say_more_than_when_are_not_datelines(text: str) -> None:
    assert not is_dateline(text)


def test_a_dateline_carries_no_signal_and_joins_no_story() -> None:
    """Two datelines read alike to every signal ("Friday, June 7, 2013"), whatever they report."""
    items = [
        item("q1", "Magnitude 6.1 earthquake strikes northern Chile, no casualties reported", 0.0),
        item("q2", "Strong 6.1 quake shakes northern Chile near Iquique", 1.0),
        item("d1", "Friday, June 7, 2013", 1.5),
        item("d2", "Updated Tuesday, May 24, 2005 8:28 PM", 2.0),
        item("d3", "Friday, June 7, 2013 | 5:00 PM", 2.5),
    ]
    signals = {s.article_id: s for s in compute_signals(items, default_embedder())}
    for aid in ("d1", "d2", "d3"):
        assert not signals[aid].vector.any() and not signals[aid].words and not signals[aid].names
    assert signals["q1"].vector.any() and signals["q1"].names
    groups = sorted(sorted(s.article_ids) for s in cluster_articles(items))
    assert groups == [["d1"], ["d2"], ["d3"], ["q1", "q2"]]


def _signals(aid: str, n_words: int, names: dict[int, int], t: float) -> Signals:
    vector = np.zeros(8, dtype=np.float32)
    vector[0] = 1.0
    return Signals(aid, vector, {k: 1 for k in range(n_words)}, names, language="en", timestamp=t)


def test_few_names_make_a_headline_with_a_description_short() -> None:
    params = Params()
    assert is_short(_signals("a", 10, {100: 1}, 0.0), params)  # a bare headline
    assert is_short(_signals("b", 30, {100: 2, 101: 2, 102: 1}, 0.0), params)  # headline and description
    assert not is_short(_signals("c", 30, {100 + k: 1 for k in range(8)}, 0.0), params)
    assert not is_short(_signals("d", 30, {100: 1}, 0.0), Params(short_names=0))  # words alone decide
    assert not is_short(_signals("e", 50, {100: 1}, 0.0), params)  # longer than a headline and description


def _clusterer(members: list[Signals]) -> OnlineClusterer:
    lexicon = Lexicon()
    for s in members:
        lexicon.add(s)
    return OnlineClusterer(lexicon, Params())


def test_a_short_article_must_share_a_name_with_a_named_story() -> None:
    """Same embedding everywhere: only the names rule keeps them apart."""
    story = [_signals(f"s{i}", 10, {1: 1, 2: 1}, float(i)) for i in range(2)]
    headline = _signals("h", 10, {3: 1, 4: 1}, 3.0)  # disjoint names, 10 words
    described = _signals("d", 30, {3: 1, 4: 1}, 3.0)  # disjoint names, 30 words: short by its few names
    sharing = _signals("x", 10, {1: 1, 4: 1}, 3.0)
    nameless = _signals("z", 10, {}, 3.0)
    clusterer = _clusterer([*story, headline, described, sharing, nameless])
    clusterer.restore("s-a", 0, story)
    state = clusterer.stories["s-a"]
    assert clusterer.article_score(headline, state) < 0.0
    assert clusterer.article_score(described, state) < 0.0
    assert clusterer.article_score(sharing, state) >= 0.0
    assert clusterer.article_score(nameless, state) >= 0.0  # nothing to compare: the other signals decide


def test_two_mostly_short_stories_merge_only_if_they_share_a_name() -> None:
    chile = [_signals(f"c{i}", 10, {1: 1, 2: 1}, float(i)) for i in range(3)]
    haiti = [_signals(f"h{i}", 10, {3: 1, 4: 1}, 10.0 + i) for i in range(2)]
    more_chile = [_signals(f"m{i}", 10, {2: 1, 5: 1}, 20.0 + i) for i in range(2)]
    clusterer = _clusterer([*chile, *haiti, *more_chile])
    for story_id, members in (("s-c", chile), ("s-h", haiti), ("s-m", more_chile)):
        clusterer.restore(story_id, 0, members)
    c, h, m = (clusterer.stories[k] for k in ("s-c", "s-h", "s-m"))
    assert clusterer.story_score(c, h) < 0.0 <= clusterer.story_score(c, m)
    unchecked = OnlineClusterer(clusterer.lexicon, Params(short_min_names=0.0))
    for story_id, members in (("s-c", chile), ("s-h", haiti)):
        unchecked.restore(story_id, 0, members)
    assert unchecked.story_score(unchecked.stories["s-c"], unchecked.stories["s-h"]) >= 0.0


def test_headline_and_description_items_of_one_event_group_apart_from_a_look_alike() -> None:
    """A feed's title and one-sentence description (25-35 words, a few names) is short; two fires in two
    towns read alike, and only the names rule (no shared name) keeps the look-alike apart."""
    items = [
        item(
            "a1",
            "Fire destroys supermarket in town centre",
            0.0,
            "A large fire broke out at the Tesco supermarket in the centre of Taunton early on Sunday, and "
            "firefighters fought the blaze for hours.",
        ),
        item(
            "a2",
            "Blaze guts Taunton Tesco store",
            1.0,
            "Crews were called to the supermarket on the high street just after 6am on Sunday as flames spread "
            "through the roof of the building.",
        ),
        item(
            "a3",
            "Taunton supermarket fire: store will stay closed",
            2.0,
            "The Tesco store badly damaged by fire on Sunday morning will remain closed for weeks, the company "
            "said, after crews spent hours at the scene.",
        ),
        item(
            "b1",
            "Warehouse fire in Leeds sends smoke over the city",
            3.0,
            "Dozens of firefighters tackled a fire at a paper recycling warehouse in the Hunslet area of Leeds "
            "on Tuesday, and residents were told to keep windows shut.",
        ),
    ]
    signals = compute_signals(items, default_embedder())
    assert all(is_short(s, Params()) for s in signals)
    assert not any(is_short(s, Params(short_names=0)) for s in signals)  # long by their words alone
    groups = sorted(sorted(s.article_ids) for s in cluster_articles(items))
    assert groups == [["a1", "a2", "a3"], ["b1"]]
