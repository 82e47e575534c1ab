"""`essentiel eval extraction` on a miniature copy of the two development sets built from the test fixtures.

The real sets live outside the repository; here the same layout is rebuilt in tmp_path from the seed page, so
the loaders, the metrics and the command are exercised without them.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from essentiel.cli import cli
from essentiel.evaluation import extraction as ev

SEED = Path(__file__).parent / "fixtures" / "extract" / "seed_ukraine.html"
SEED_URL = "https://www.ladepechedusoir.fr/2024/11/14/guerre-en-ukraine/"
FULL_TITLE = (
    "Guerre en Ukraine : avant le retour de Trump, l’administration Biden fait pression sur les Européens"
)
WITH = ["Le secrétaire d’Etat américain Antony Blinken", "« Nous devons faire plus »"]
WITHOUT = ["Quitter la version mobile", "Aujourd’hui, j’ai rencontré"]


def build_data(root: Path) -> Path:
    html = gzip.compress(SEED.read_bytes(), mtime=0)
    traf = root / "extraction" / "trafilatura-eval"
    (traf / "html").mkdir(parents=True)
    (traf / "html" / "seed.html.gz").write_bytes(html)
    gold = {SEED_URL: {"file": "seed.html", "with": WITH, "without": WITHOUT}}
    (traf / "evaldata.json").write_text(json.dumps(gold), encoding="utf-8")
    (traf / "html_lang.tsv").write_text(f"url\tfile\thtml_lang_attr\n{SEED_URL}\tseed.html\tfr\n", "utf-8")
    fundus = root / "extraction" / "fundus-publisher-tests"
    (fundus / "test_data" / "fr").mkdir(parents=True)
    (fundus / "test_data" / "fr" / "Seed_2024_11_14.html.gz").write_bytes(html)
    row = {
        "country": "fr",
        "languages": ["fr"],
        "html_file": "test_data/fr/Seed_2024_11_14.html.gz",
        "url": SEED_URL,
        "gold": {
            "title": FULL_TITLE,
            "authors": ["Philippe Rioux"],
            "publishing_date": "2024-11-14 05:30:00+00:00",
        },
        "gold_body_paragraphs": [WITH[0] + " était hier à Bruxelles", WITH[1]],
    }
    (fundus / "manifest.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    return root


def test_split_is_deterministic_and_about_half() -> None:
    names = [f"page{n}.html" for n in range(400)]
    dev = [n for n in names if ev.split_of(n) == "dev"]
    assert 150 < len(dev) < 250
    assert ev.split_of("test_data/fr/a.html.gz") == ev.split_of("a.html.gz")  # by file name only
    assert [ev.split_of(n) for n in names] == [ev.split_of(n) for n in names]


def test_snippet_counts_follow_the_upstream_metric() -> None:
    case = ev.SnippetCase("x", "u", b"", ("alpha  beta", "gamma"), ("delta", "omega"), "fr")
    counts = ev.Counts()
    counts.add("alpha\nbeta and delta", case)  # whitespace is normalised before matching
    assert (counts.tp, counts.fn, counts.fp, counts.tn) == (1, 1, 1, 1)
    assert counts.figures() == {"precision": 0.5, "recall": 0.5, "f1": 0.5}


@pytest.mark.parametrize(
    ("gold", "title", "kicker", "expected"),
    [
        ("Un titre exact", "Un titre exact", "", True),
        ("Guerre en Ukraine : avant le retour", "Avant le retour", "Guerre en Ukraine", True),
        ("VIDÉO. Les images", "Les images", "VIDÉO", True),
        ("Un titre exact", "Un titre exact - Le Site", "", False),
        ("Guerre en Ukraine : avant", "Avant le retour", "Guerre en Ukraine", False),
    ],
)
def test_title_matches(gold: str, title: str, kicker: str, expected: bool) -> None:
    assert ev.title_matches(gold, title, kicker) is expected


def test_token_and_set_f1() -> None:
    assert ev.token_f1("a b c", "a b c") == 1.0
    assert ev.token_f1("a b", "a b c d") == pytest.approx(2 / 3)
    assert ev.token_f1("", "a") == 0.0
    # precision: the share of our tokens in the gold; recall: the share of the gold we gave
    assert ev.token_prf("a b x y", "a b c") == pytest.approx((0.5, 2 / 3, 4 / 7))
    assert ev.set_f1(["Jane Doe"], ["jane doe", "John Roe"]) == pytest.approx(2 / 3)
    assert ev.set_f1([], []) == 1.0


def test_date_is_compared_to_the_minute_in_utc() -> None:
    case = ev.FundusCase("n", "u", b"", "T", datetime(2024, 1, 1, 10, 0, 30, tzinfo=UTC), (), "", False)
    same_minute = datetime.fromisoformat("2024-01-01T11:00:00+01:00")
    scores = ev.score_fundus(case, ev.Prediction("T", "", same_minute, (), ""))
    assert scores["date_minute"] == 1.0 and scores["title"] == 1.0
    midnight = datetime(2024, 1, 1, tzinfo=UTC)
    scores = ev.score_fundus(case, ev.Prediction("T", "", midnight, (), ""))
    assert scores["date_minute"] == 0.0 and scores["date_day"] == 1.0
    assert ev.score_fundus(case, None)["body_f1"] == 0.0


def test_run_on_a_miniature_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures: dict[str, Any] = ev.run(build_data(tmp_path), split="all", as_json=True)
    assert json.loads(capsys.readouterr().out) == figures
    ours = figures["trafilatura_eval"]["essentiel"]
    assert (ours["precision"], ours["recall"], ours["fr"]["f1"]) == (1.0, 1.0, 1.0)
    fundus = figures["fundus"]["essentiel"]
    assert fundus["title"] == 1.0  # kicker and title joined back give the full headline
    assert fundus["date_minute"] == 1.0 and fundus["authors_f1"] == 1.0
    assert 0.0 < fundus["body_f1"] < 1.0  # the whole body against two gold paragraphs
    assert fundus["body_r"] == 1.0 and 0.0 < fundus["body_p"] < 1.0  # both gold paragraphs, and more
    assert figures["speed"]["pages"] == 2 and figures["speed"]["time_ratio"] > 0


def test_split_selects_pages(tmp_path: Path) -> None:
    data = build_data(tmp_path)
    part = ev.split_of("seed.html")
    other = "test" if part == "dev" else "dev"
    assert len(ev.load_snippet_cases(data, part, None)) == 1
    assert ev.load_snippet_cases(data, other, None) == []


def test_cli_prints_the_tables(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "extraction", "--data", str(build_data(tmp_path))])
    assert result.exit_code == 0, result.output
    for heading in (
        "trafilatura-eval",
        "fundus-publisher-tests",
        "speed",
        "essentiel",
        "trafilatura",
        "body_p",
    ):
        assert heading in result.output


def test_cli_names_a_missing_data_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "extraction", "--data", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "nope" in result.output


def test_invisible_characters_do_not_count_in_a_title() -> None:
    """A gold title ending with a zero-width space (taz) matches the same words without it."""
    gold = ev._ws("Entwurf des Selbstbestimmungsgesetzes: Ein bisschen Fortschritt\u200b")
    assert ev.title_matches(gold, "Ein bisschen Fortschritt", "Entwurf des Selbstbestimmungsgesetzes")
    assert ev.title_matches(ev._ws("Helikopter\xadlandeplatz geplant"), "Helikopterlandeplatz geplant")
    assert not ev.title_matches(gold, "Ein bisschen Fortschritt")
