"""Online stories: cross-lingual joins, syndicated copies, and incremental updates in a real SQLite store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from essentiel.models import Article, stable_id
from essentiel.store import open_store
from essentiel.stories import cluster_articles, copy_groups, edition_stories, syndicated_ids, update_stories
from essentiel.stories.text import names

T0 = datetime(2024, 11, 20, 9, 0, tzinfo=UTC)


def art(aid: str, title: str, text: str, lang: str, outlet: str, hours: float = 0.0) -> Article:
    return Article(
        id=aid,
        url=f"https://www.{outlet}/{aid}",
        title=title,
        text=text,
        language=lang,
        outlet=outlet,
        published=T0 + timedelta(hours=hours),
    )


BLINKEN_FR = art(
    "blinken-fr",
    "Guerre en Ukraine : à Bruxelles, Blinken presse les Européens d'aider Kiev avant le retour de Trump",
    "Le secrétaire d'État américain Antony Blinken a exhorté mercredi à Bruxelles les alliés européens de "
    "l'OTAN à accélérer leur aide militaire à l'Ukraine avant l'investiture de Donald Trump, le 20 janvier. "
    "M. Blinken a assuré que Washington dépenserait chaque dollar encore disponible pour Kiev.",
    "fr",
    "lefigaro.fr",
)
BLINKEN_EN = art(
    "blinken-en",
    "Blinken in Brussels urges Europeans to help Ukraine before Trump's return",
    "US Secretary of State Antony Blinken on Wednesday urged European NATO allies in Brussels to step up "
    "military aid to Ukraine before Donald Trump's inauguration on January 20. Blinken said Washington would "
    "spend every dollar still available for Kyiv.",
    "en",
    "reuters.com",
    hours=1,
)
QUAKE_TURKEY = art(
    "quake-tr",
    "Magnitude 7.8 earthquake kills thousands in Turkey and Syria",
    "A magnitude 7.8 earthquake struck southern Turkey and northern Syria before dawn. Rescuers dug through "
    "the rubble of collapsed buildings in Gaziantep and Kahramanmaras as Erdogan declared national mourning.",
    "en",
    "apnews.com",
    hours=2,
)
QUAKE_MOROCCO = art(
    "quake-ma",
    "Earthquake in Morocco's High Atlas kills more than 2,000",
    "A magnitude 6.8 earthquake hit the High Atlas mountains south of Marrakech late on Friday, flattening "
    "mud-brick villages in Al Haouz province. King Mohammed VI ordered the army to help with the rescue.",
    "en",
    "bbc.co.uk",
    hours=3,
)
WIRE_TEXT = (
    "Le Sénat a adopté jeudi en première lecture le projet de budget de la Sécurité sociale pour 2025, après "
    "plusieurs jours de débats sur le déremboursement de certains médicaments et la hausse des cotisations "
    "patronales. Le texte doit désormais être examiné en commission mixte paritaire la semaine prochaine."
)
WIRE = [
    art("afp-1", "Le Sénat adopte le budget de la Sécu", WIRE_TEXT, "fr", "afp.com", hours=4),
    art("copy-1", "Budget de la Sécu : le Sénat vote", WIRE_TEXT, "fr", "ouest-france.fr", hours=5),
    art(
        "copy-2",
        "Sécurité sociale : feu vert du Sénat",
        WIRE_TEXT + " (avec AFP)",
        "fr",
        "lepoint.fr",
        hours=6,
    ),
]


def _together(stories: list, a: str, b: str) -> bool:
    return any({a, b} <= set(s.article_ids) for s in stories)


def test_names_are_normalised_across_forms() -> None:
    tokens = names("Hier, M. Blinken a parlé. Antony Blinken est venu. Selon Blinken, c'est urgent.")
    assert tokens.count("blinken") == 3


def test_french_and_english_blinken_reports_join_and_quakes_stay_apart() -> None:
    stories = cluster_articles([BLINKEN_FR, BLINKEN_EN, QUAKE_TURKEY, QUAKE_MOROCCO])
    assert _together(stories, "blinken-fr", "blinken-en")
    assert not _together(stories, "quake-tr", "quake-ma")
    assert not _together(stories, "blinken-en", "quake-tr")


def test_syndicated_copies_know_their_original() -> None:
    groups = copy_groups(list(reversed(WIRE)))
    assert [(g.original, g.copies) for g in groups] == [("afp-1", ("copy-1", "copy-2"))]
    assert syndicated_ids([*WIRE, BLINKEN_FR]) == {"copy-1", "copy-2"}
    story = next(s for s in cluster_articles([*WIRE, BLINKEN_FR]) if "afp-1" in s.article_ids)
    assert set(story.article_ids) == {"afp-1", "copy-1", "copy-2"}


def test_deterministic_and_order_independent() -> None:
    items = [BLINKEN_FR, BLINKEN_EN, QUAKE_TURKEY, QUAKE_MOROCCO, *WIRE]
    first = cluster_articles(items)
    assert cluster_articles(list(reversed(items))) == first
    assert first[0].id == stable_id("afp-1", prefix="s-")


def _update(store_path: Path, batch: list[Article], now: datetime) -> list:
    with open_store(store_path) as store:
        store.save_articles(batch)
        return update_stories(store, batch, now=now, window_hours=72)


def test_incremental_across_days_keeps_story_ids(tmp_path: Path) -> None:
    db = tmp_path / "essentiel.db"
    day1 = [BLINKEN_EN, QUAKE_TURKEY, *WIRE]
    touched = _update(db, day1, T0 + timedelta(hours=8))
    blinken_id = next(s.id for s in touched if "blinken-en" in s.article_ids)
    assert blinken_id == stable_id("blinken-en", prefix="s-")
    later_fr = replace(BLINKEN_FR, published=T0 + timedelta(hours=26))
    touched2 = _update(db, [later_fr, QUAKE_MOROCCO], T0 + timedelta(hours=30))
    with open_store(db) as store:
        assert store.story_of("blinken-fr") == blinken_id
        assert store.story_of("quake-ma") not in {store.story_of("quake-tr"), None}
        assert store.get_story(blinken_id) is not None
        assert {s.id for s in touched2} == {blinken_id, store.story_of("quake-ma")}
        window = edition_stories(store, T0 + timedelta(hours=20), T0 + timedelta(hours=30))
        assert [s.id for s in window] == [blinken_id]  # quake-ma was published at hour 3
        assert store.count("stories") == 4
        assert len(store.load_signals(["blinken-fr", "afp-1"])) == 2
    # From scratch in another store, in one batch: the same stories and ids.
    other = tmp_path / "other.db"
    _update(other, [*day1, later_fr, QUAKE_MOROCCO], T0 + timedelta(hours=30))
    with open_store(db) as a, open_store(other) as b:
        for aid in ("blinken-en", "blinken-fr", "quake-tr", "quake-ma", "copy-2"):
            assert a.story_of(aid) == b.story_of(aid)


def test_updated_article_replaces_its_earlier_version(tmp_path: Path) -> None:
    db = tmp_path / "essentiel.db"
    _update(db, [BLINKEN_EN, QUAKE_TURKEY], T0 + timedelta(hours=4))
    new_version = replace(
        BLINKEN_EN,
        id="blinken-en-v2",
        text=BLINKEN_EN.text + " He also met Ukrainian Foreign Minister Andrii Sybiha.",
        published=T0 + timedelta(hours=5),
    )
    _update(db, [new_version], T0 + timedelta(hours=6))
    with open_store(db) as store:
        assert store.story_of("blinken-en") is None
        story = store.get_story(store.story_of("blinken-en-v2") or "")
        assert story is not None and story.article_ids == ("blinken-en-v2",)
        assert store.count("stories") == 2


def test_changed_text_is_placed_again_in_its_story(tmp_path: Path) -> None:
    db = tmp_path / "essentiel.db"
    now = T0 + timedelta(hours=8)
    with open_store(db) as store:
        store.save_articles([BLINKEN_EN, BLINKEN_FR, QUAKE_TURKEY])
        pending = store.unclustered_articles(T0 - timedelta(hours=1), now)
        assert sorted(a.id for a in pending) == ["blinken-en", "blinken-fr", "quake-tr"]
        update_stories(store, pending, now=now)
        assert store.unclustered_articles(T0 - timedelta(hours=1), now) == []
        story = store.story_of("blinken-fr")
        store.save_articles([replace(BLINKEN_FR, text=BLINKEN_FR.text + " Il a rencontré Andrii Sybiha.")])
        changed = store.unclustered_articles(T0 - timedelta(hours=1), now)
        assert [a.id for a in changed] == ["blinken-fr"]
        update_stories(store, changed, now=now)
        assert store.story_of("blinken-fr") == story == store.story_of("blinken-en")
        assert store.count("stories") == 2


def test_a_shared_name_alone_does_not_join_stories_across_languages() -> None:
    """The same person in two different events, in French and in English, stays in two stories."""
    english = [
        Article(
            id=f"en{i}",
            url=f"https://news{i}.example/oscars",
            title=title,
            text="Ellen DeGeneres will host the Academy Awards ceremony next year, producers announced on Friday. "
            "It will be the comedian's second time as Oscars host, after the 2007 ceremony.",
            language="en",
        )
        for i, title in enumerate(["Ellen DeGeneres to host the Oscars", "DeGeneres returns as Oscars host"])
    ]
    french = Article(
        id="fr1",
        url="https://actu.example/degeneres",
        title="Ellen DeGeneres répond aux accusations de harcèlement dans son émission",
        text="L'animatrice Ellen DeGeneres a présenté ses excuses à son équipe lundi, après des témoignages "
        "d'anciens employés dénonçant un climat de travail toxique sur le plateau de son talk-show.",
        language="fr",
    )
    stories = cluster_articles([*english, french])
    assert sorted(len(s.article_ids) for s in stories) == [1, 2]


def test_across_languages_the_embedding_must_agree_whatever_the_names() -> None:
    from essentiel.stories.online import OnlineClusterer, Params
    from essentiel.stories.signals import Lexicon

    scorer = OnlineClusterer(Lexicon(), Params())
    same_names_other_event = scorer._combine(use=0.47, names=1.0, words=None)
    same_event = scorer._combine(use=0.8, names=0.6, words=None)
    assert same_names_other_event < 0.0  # scores are relative to the threshold: below it, not the same story
    assert same_event >= 0.0
    assert scorer._combine(use=0.47, names=1.0, words=0.2) > 0.0  # same language: words speak too


def _signals(aid: str, vector: list[float], words: dict[int, int], names_: dict[int, int], t: float):  # type: ignore[no-untyped-def]
    import numpy as np

    from essentiel.stories.signals import Signals

    v = np.asarray(vector, dtype=np.float32)
    return Signals(aid, v / np.linalg.norm(v), words, names_, language="en", timestamp=t)


def test_an_article_that_leaves_its_story_never_reuses_a_live_story_id() -> None:
    from essentiel.stories.online import OnlineClusterer, Params
    from essentiel.stories.signals import Lexicon

    long_text = {k: 1 for k in range(60)}  # a long article (60 distinct words)
    first = _signals("a", [1, 0, 0], long_text, {1000: 1}, 0.0)
    second = _signals("b", [1, 0, 0], long_text, {1000: 1}, 60.0)
    lexicon = Lexicon()
    for s in (first, second):
        lexicon.add(s)
    clusterer = OnlineClusterer(lexicon, Params())
    story = clusterer.add(first)
    assert clusterer.add(second) == story == stable_id("a", prefix="s-")
    # "a" comes again with a text about something else: it leaves the story that "b" keeps alive
    changed = _signals("a", [0, 1, 0], {k: 1 for k in range(100, 160)}, {2000: 1}, 120.0)
    lexicon.add(changed)
    moved = clusterer.add(changed)
    assert moved != story and clusterer.story_of["b"] == story
    assert set(clusterer.stories[story].members) == {"b"} and set(clusterer.stories[moved].members) == {"a"}


def test_a_story_restored_at_once_scores_as_one_built_article_by_article() -> None:
    from essentiel.stories.online import OnlineClusterer, Params
    from essentiel.stories.signals import Lexicon

    members = [
        _signals(f"m{i}", [1, i, 0.5], {i: 2, 7: 1, 8 + i: 1}, {1000 + i: 1, 999: 2}, 10.0 * i)
        for i in range(4)
    ]
    probe = _signals("p", [1, 2, 0], {7: 1, 9: 1}, {999: 1}, 50.0)
    lexicon = Lexicon()
    for s in [*members, probe]:
        lexicon.add(s)
    built = OnlineClusterer(lexicon, Params())
    built.open_story(members[0], "s-x")
    for s in members[1:]:
        built.place(s, "s-x")
    restored = OnlineClusterer(lexicon, Params())
    restored.restore("s-x", 0, members)
    a, b = built.stories["s-x"], restored.stories["s-x"]
    assert abs(built.article_score(probe, a) - restored.article_score(probe, b)) < 1e-9
    assert (a.first, a.last, a.shorts, dict(a.languages)) == (b.first, b.last, b.shorts, dict(b.languages))


def test_headlines_alone_group_by_event() -> None:
    """Bare headlines (as many feeds give) are scored as short articles: same event together, look-alike apart."""
    heads = [
        ("q1", "Magnitude 6.1 earthquake strikes northern Chile, no casualties reported", 0.0),
        ("q2", "Strong 6.1 quake shakes northern Chile near Iquique", 1.0),
        ("q3", "Chile: earthquake of magnitude 6.1 hits the north of the country", 2.0),
        ("h1", "Magnitude 7.2 earthquake devastates southwestern Haiti, hundreds dead", 3.0),
        ("h2", "Haiti earthquake: death toll rises above 300 after 7.2 quake", 4.0),
    ]
    items = [art(i, t, "", "en", f"outlet{k}.com", h) for k, (i, t, h) in enumerate(heads)]
    groups = sorted(sorted(s.article_ids) for s in cluster_articles(items))
    assert groups == [["h1", "h2"], ["q1", "q2", "q3"]]


def test_two_stories_with_names_of_their_own_do_not_merge() -> None:
    """Klitschko beats Rahman, Klitschko beats Thompson: alike in every signal but each story's own name."""
    from essentiel.stories.online import OnlineClusterer, Params
    from essentiel.stories.signals import Lexicon

    klitschko, rahman, thompson, mannheim = 1, 2, 3, 4
    # long articles (60 distinct words, 8 names and more): headlines are not judged this way
    words = {k: 1 for k in range(60)}
    rahman_fight = [_signals(f"r{i}", [1, 0.1 * i, 0], words, {klitschko: 6, rahman: 2}, i) for i in range(3)]
    thompson_fight = [
        _signals(f"t{i}", [1, 0.1 * i, 0], words, {klitschko: 6, thompson: 2}, 10.0 + i) for i in range(3)
    ]
    # Same fight, one story reports the venue too: only one side has a name of its own, so they merge.
    venue = [
        _signals(f"v{i}", [1, 0.1 * i, 0], words, {klitschko: 6, rahman: 2, mannheim: 1}, 20.0 + i)
        for i in range(3)
    ]
    lexicon = Lexicon()
    for s in [*rahman_fight, *thompson_fight, *venue]:
        lexicon.add(s)

    def story_scores(params: Params) -> tuple[float, float]:
        clusterer = OnlineClusterer(lexicon, params)
        for story_id, members in (("s-r", rahman_fight), ("s-t", thompson_fight), ("s-v", venue)):
            clusterer.restore(story_id, 0, members)
        r, t, v = (clusterer.stories[k] for k in ("s-r", "s-t", "s-v"))
        return clusterer.story_score(r, t), clusterer.story_score(r, v)

    apart, same = story_scores(Params())
    assert apart < 0.0 <= same
    unchecked, _ = story_scores(Params(distinct_min_size=4))  # stories of 3 are too small to be judged
    assert unchecked >= 0.0
