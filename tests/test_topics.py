"""Categories and dossiers of stories."""

from __future__ import annotations

from essentiel.models import Article
from essentiel.topics import Topic, group_dossiers, split_kicker, story_category, story_dossier, story_topic


def a(aid: str, title: str, text: str = "", lang: str = "fr", kicker: str = "", source: str = "") -> Article:
    return Article(id=aid, url="", title=title, text=text, language=lang, kicker=kicker, source=source)


def test_split_kicker() -> None:
    assert split_kicker("Guerre en Ukraine : Kiev frappée par des drones") == (
        "Guerre en Ukraine",
        "Kiev frappée par des drones",
    )
    assert split_kicker("Macron : « Nous ne céderons pas »") == ("", "Macron : « Nous ne céderons pas »")
    assert split_kicker("Sans kicker du tout") == ("", "Sans kicker du tout")
    assert split_kicker("Un titre beaucoup trop long pour un kicker : suite du titre ici")[0] == ""


def test_dossier_from_kickers() -> None:
    story = [
        a("1", "Guerre en Ukraine : Kiev frappée par des drones"),
        a("2", "Nouvelle attaque sur Kiev", kicker="Guerre en Ukraine"),
        a("3", "VIDÉO : les images de l'attaque sur Kiev"),
    ]
    assert story_dossier(story) == "Guerre en Ukraine"
    assert story_dossier([a("4", "EN DIRECT : les frappes sur Kiev se poursuivent")]) is None
    # a title prefix in one article only is a guess, not a dossier
    assert story_dossier([a("5", "Paris : un braquage spectaculaire place Vendôme")]) is None
    topics = {
        "s-1": Topic("monde", "Guerre en Ukraine"),
        "s-2": Topic("monde", "guerre en ukraine"),
        "s-3": Topic("france", "Réforme des retraites"),
    }
    assert group_dossiers(topics) == {"Guerre en Ukraine": ("s-1", "s-2")}


def test_category_from_text_in_two_languages() -> None:
    sport_fr = [a("1", "Le PSG remporte la finale de la Coupe de France", "L'équipe a gagné le match 2-1.")]
    sport_en = [a("2", "Arsenal win the cup final", "The team beat their rivals in the match.", lang="en")]
    health = [a("3", "Une épidémie de grippe sature les hôpitaux", "Les patients affluent.")]
    economy = [a("4", "Inflation eases as the central bank holds rates", "Prices and growth.", lang="en")]
    assert story_category(sport_fr) == "sport"
    assert story_category(sport_en) == "sport"
    assert story_category(health) == "sante"
    assert story_category(economy) == "economie"
    assert story_category([a("5", "Sans indice", "Rien à voir.", lang="xx")]) is None


def test_source_category_outweighs_a_stray_keyword() -> None:
    story = [a("1", "Le film qui a changé la bourse", "Un marché en fête.", source="Le Monde Culture")]
    assert story_category(story, source_categories={"Le Monde Culture": "Culture"}) == "culture"
    topic = story_topic(story, source_categories={"Le Monde Culture": "Culture"})
    assert topic.category_label("fr") == "Culture" and topic.category_label("en") == "Culture"
    assert Topic("sciences-tech", None).category_label("en") == "Science & tech"
    assert Topic(None, None).category_label() == ""


def test_a_story_told_abroad_is_world_news_when_nothing_else_decides() -> None:
    climber = [
        a("1", "British climber killed in fall", "He fell from Mount Sefton in New Zealand.", lang="en")
    ]
    belarus = [
        a("2", "Des interpellations à Minsk", "La police du Bélarus, pardon de la Biélorussie, a chargé.")
    ]
    assert story_category(climber) == "monde" and story_category(belarus) == "monde"
    # whole country names only, and nothing that is France or a common word to a French reader
    for text in (
        "Une réunion à la mairie de Pointe-à-Pitre, en Guadeloupe.",
        "Maurice et Dominique, indemnisés.",
    ):
        assert story_category([a("3", "Un fait divers", text)]) is None
    # a story another category decides keeps it: a boxing match in Switzerland is sport
    fight = [
        a("4", "Klitschko wins the title fight", "The champion won the match in Switzerland.", lang="en")
    ]
    assert story_category(fight) == "sport"
