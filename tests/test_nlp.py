"""Shared language tools: sentence splitting and entity normalisation."""

from __future__ import annotations

from essentiel.nlp import canonical_entity, entities, normalise_entities, split_sentences


def test_split_keeps_abbreviations_and_quotes() -> None:
    text = "M. Blinken est arrivé à Kiev. « Nous serons là », a-t-il dit. Il repart demain."
    assert split_sentences(text, "fr") == [
        "M. Blinken est arrivé à Kiev.",
        "« Nous serons là », a-t-il dit.",
        "Il repart demain.",
    ]
    assert all(s in text for s in split_sentences(text, "fr"))


def test_canonical_names() -> None:
    assert canonical_entity("l'OTAN", "fr") == "OTAN"
    assert canonical_entity("l’Otan", "fr") == "OTAN"
    assert canonical_entity("NATO", "fr") == "OTAN"
    assert canonical_entity("OTAN", "en") == "NATO"
    assert canonical_entity("M. Blinken", "fr") == "Blinken"
    assert canonical_entity("Kyiv", "fr") == "Kiev"
    assert canonical_entity("the United Nations", "en") == "UN"
    assert canonical_entity("Volodymyr Zelensky", "fr") == "Volodymyr Zelensky"


def test_forms_of_one_person_and_organisation_merge() -> None:
    found = [
        ("Blinken", "PER", 3),
        ("Antony Blinken", "PER", 2),
        ("M. Blinken", "PER", 1),
        ("l'OTAN", "ORG", 2),
        ("OTAN", "ORG", 1),
        ("NATO", "ORG", 1),
        ("Kiev", "LOC", 2),
        ("Paris", "LOC", 1),
    ]
    merged = normalise_entities(found, "fr")
    assert merged[0] == ("Antony Blinken", "PER", 6)
    assert ("OTAN", "ORG", 4) in merged
    assert [name for name, _, _ in merged] == ["Antony Blinken", "OTAN", "Kiev", "Paris"]


def test_a_surname_shared_by_two_people_joins_the_most_mentioned() -> None:
    found = [("Donald Trump", "PERSON", 3), ("Melania Trump", "PERSON", 1), ("Trump", "PERSON", 2)]
    assert normalise_entities(found, "en")[0] == ("Donald Trump", "PERSON", 5)
    # places are never merged into people
    assert ("Washington", "GPE", 1) in normalise_entities(
        [("George Washington", "PERSON", 1), ("Washington", "GPE", 1)]
    )


def test_entities_from_the_model_then_normalised() -> None:
    texts = [
        "Antony Blinken est arrivé à Kiev. M. Blinken a rencontré le secrétaire général de l'OTAN.",
        "Blinken a promis le soutien de l'OTAN à l'Ukraine.",
    ]
    found = normalise_entities(entities(texts, "fr"), "fr")
    names = [name for name, _, _ in found]
    assert names.count("Antony Blinken") == 1 and "Blinken" not in names and "M. Blinken" not in names
    assert entities(["Ein Text."], "de") == []


def test_surname_labelled_an_organisation_joins_the_person_and_lowercase_forms_are_not_names() -> None:
    found = [
        ("Thompson", "ORG", 5),
        ("Tony Thompson", "PERSON", 2),
        ("Abessia", "ORG", 2),
        ("Abessia", "PER", 1),
        ("navy", "ORG", 3),
        ("Navy", "ORG", 1),
        ("Washington", "GPE", 1),
        ("George Washington", "PERSON", 1),
    ]
    merged = normalise_entities(found, "en")
    assert merged[0] == ("Tony Thompson", "PERSON", 7)  # the person's label, not the surname's ORG
    assert ("Abessia", "PER", 3) in merged  # one name tagged both ways is one person
    assert ("Navy", "ORG", 1) in merged and all(name != "navy" for name, _, _ in merged)
    assert ("Washington", "GPE", 1) in merged  # a place never joins a person
    assert normalise_entities([("北京", "GPE", 2)], "zh") == [("北京", "GPE", 2)]  # caseless scripts kept
