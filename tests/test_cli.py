"""The CLI with click's CliRunner: the five file contracts, the store commands, and one-line user errors."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from essentiel.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
EXTRACT_KEYS = {
    "source",
    "url",
    "title",
    "kicker",
    "lead",
    "text",
    "authors",
    "published",
    "language",
    "site_name",
    "image",
}


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, object]]:
    raw = (resources.files("essentiel.demo") / "corpus.jsonl.gz").read_bytes()
    return [json.loads(line) for line in gzip.decompress(raw).decode().splitlines()]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for name in ("ESSENTIEL_CONFIG", "ESSENTIEL_GENERAL_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def pick(corpus: list[dict[str, object]], events: dict[str, int], french: int) -> list[dict[str, object]]:
    by_event: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in corpus:
        if row.get("gold_event") in events:
            by_event[str(row["gold_event"])].append(row)
    chosen = [r for event, n in events.items() for r in by_event[event][:n]]
    chosen += [r for r in corpus if r["language"] == "fr"][:french]
    return [{k: v for k, v in r.items() if k != "gold_event"} for r in chosen]


def test_extract_contract_in_input_order(runner: CliRunner, tmp_path: Path) -> None:
    seed = FIXTURES / "extract/seed_ukraine.html"
    english = tmp_path / "en.html.gz"
    english.write_bytes(gzip.compress((FIXTURES / "extract/en_budget.html").read_bytes()))
    result = runner.invoke(cli, ["extract", "--format", "jsonl", str(english), str(seed)])
    assert result.exit_code == 0, result.output
    rows = lines(result.stdout)
    assert [r["source"] for r in rows] == [str(english), str(seed)]
    assert all(set(r) == EXTRACT_KEYS for r in rows)
    fr = rows[1]
    assert fr["kicker"] and "Guerre en Ukraine" in str(fr["kicker"])
    assert str(fr["text"]).startswith("En attendant l’arrivée de Donald Trump")
    assert fr["title"] not in str(fr["text"]) and "Quitter la version mobile" not in str(fr["text"])
    assert fr["language"] == "fr" and rows[0]["language"] == "en"


def test_extract_bad_pages(runner: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    result = runner.invoke(cli, ["extract", str(empty), str(FIXTURES / "extract/seed_ukraine.html")])
    assert result.exit_code == 1
    rows = lines(result.stdout)
    assert rows[0]["source"] == str(empty) and "error" in rows[0] and rows[1]["title"]
    assert f"error: {empty}:" in result.stderr
    missing = runner.invoke(cli, ["extract", str(tmp_path / "nope.html")])
    assert missing.exit_code == 2
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope.html'}: no such file"


def test_cluster_contract(runner: CliRunner, tmp_path: Path, corpus: list[dict[str, object]]) -> None:
    rows = pick(corpus, {"2_ecbplus": 3, "9_ecbplus": 3, "12_ecbplus": 3}, french=0)
    path = write_jsonl(
        tmp_path / "a.jsonl", [{k: r[k] for k in ("id", "title", "text", "language", "url")} for r in rows]
    )
    result = runner.invoke(cli, ["cluster", str(path)])
    assert result.exit_code == 0, result.output
    out = lines(result.stdout)
    assert [o["id"] for o in out] == [r["id"] for r in rows]
    assert all(set(o) == {"id", "story"} for o in out)
    stories = [o["story"] for o in out]
    assert stories[0] == stories[1] == stories[2] and stories[3] == stories[4] == stories[5]
    assert stories[6] == stories[7] == stories[8] and len(set(stories)) == 3
    assert not (tmp_path / "essentiel.db").exists(), "no database for file contracts"


def test_summarize_contract(runner: CliRunner, tmp_path: Path, corpus: list[dict[str, object]]) -> None:
    articles = pick(corpus, {"4_ecbplus": 3}, french=0)
    french = [r for r in corpus if r["language"] == "fr"][:1]
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [{"id": "story-en", "articles": articles}, {"id": "story-fr", "articles": french}],
    )
    result = runner.invoke(cli, ["summarize", "--language", "en", "--max-words", "60", str(path)])
    assert result.exit_code == 0, result.output
    out = lines(result.stdout)
    assert [o["id"] for o in out] == ["story-en", "story-fr"]
    texts = {str(a["id"]): f"{a.get('lead', '')}\n{a['text']}" for a in articles + french}
    for summary in out:
        assert set(summary) == {"id", "title", "summary", "sentences"}
        assert summary["sentences"], summary
        for sentence in summary["sentences"]:
            assert sentence["text"] in texts[sentence["article"]]
        assert len(str(summary["summary"]).split()) <= 60 or len(summary["sentences"]) == 1


def test_digest_contract(runner: CliRunner, tmp_path: Path, corpus: list[dict[str, object]]) -> None:
    rows = pick(corpus, {"9_ecbplus": 6, "24_ecbplus": 3}, french=4)
    path = write_jsonl(tmp_path / "a.jsonl", rows)
    result = runner.invoke(cli, ["digest", "--from-jsonl", str(path), "--top", "3", "--format", "json"])
    assert result.exit_code == 0, result.output
    stories = json.loads(result.stdout)["stories"]
    assert [s["rank"] for s in stories] == [1, 2, 3]
    assert all({"rank", "title", "summary", "score", "articles", "why"} <= set(s) for s in stories)
    assert stories[0]["score"] >= stories[1]["score"] >= stories[2]["score"]
    ids = {str(r["id"]): r for r in rows}
    assert {ids[a].get("url") for a in stories[0]["articles"]} <= {r.get("url") for r in rows[:6]}
    assert len(stories[0]["articles"]) >= 4, "the story covered by six outlets ranks first"
    assert not (tmp_path / "essentiel.db").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"id": "a", "title": "x"}\nnot json\n', "a.jsonl:2: invalid JSON"),
        ('{"id": "a"}\n', "a.jsonl:1: article has no title, lead or text"),
        (
            '{"id": "a", "title": "x", "published": "hier"}\n',
            "a.jsonl:1: 'published' 'hier' is not an ISO 8601 date",
        ),
        ('{"id": "a", "title": "x"}\n{"id": "a", "title": "y"}\n', "a.jsonl:2: duplicate id 'a'"),
        ("[1, 2]\n", "a.jsonl:1: expected a JSON object"),
    ],
    ids=["invalid-json", "empty-article", "bad-date", "duplicate-id", "not-an-object"],
)
@pytest.mark.parametrize("command", ["cluster", "digest"])
def test_bad_input_files_give_one_line_and_exit_2(
    runner: CliRunner, tmp_path: Path, content: str, expected: str, command: str
) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(content, encoding="utf-8")
    args = (
        [command, str(path)]
        if command == "cluster"
        else [command, "--from-jsonl", str(path), "--format", "json"]
    )
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: ") and expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_summarize_rejects_a_story_without_articles(runner: CliRunner, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [{"id": "s", "articles": []}])
    result = runner.invoke(cli, ["summarize", str(path)])
    assert result.exit_code == 2 and "s.jsonl:1: expected" in result.stderr


def test_init_sources_and_opml_round_trip(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["init"]).exit_code == 0
    again = runner.invoke(cli, ["init"])
    assert again.exit_code == 2 and "already exists" in again.stderr
    added = runner.invoke(
        cli,
        [
            "sources",
            "add",
            "https://www.lemonde.fr/rss/une.xml",
            "--category",
            "France",
            "--language",
            "fr",
            "--json",
        ],
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["name"] == "lemonde.fr"
    runner.invoke(cli, ["sources", "add", "https://www.afp.com/fr/feed", "--wire", "--name", "AFP"])
    listed = json.loads(runner.invoke(cli, ["sources", "list", "--json"]).stdout)
    assert [s["name"] for s in listed] == ["AFP", "lemonde.fr"] or {s["name"] for s in listed} == {
        "AFP",
        "lemonde.fr",
    }
    assert {s["name"]: s["independent"] for s in listed} == {"AFP": False, "lemonde.fr": True}
    exported = runner.invoke(cli, ["sources", "export-opml", str(tmp_path / "out.opml")])
    assert exported.exit_code == 0
    assert runner.invoke(cli, ["sources", "remove", "https://www.afp.com/fr/feed"]).exit_code == 0
    gone = runner.invoke(cli, ["sources", "remove", "https://www.afp.com/fr/feed"])
    assert gone.exit_code == 2 and "no such source" in gone.stderr
    imported = runner.invoke(cli, ["sources", "import-opml", str(tmp_path / "out.opml")])
    assert imported.exit_code == 0 and "imported 2 sources" in imported.stdout
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline", encoding="utf-8")
    failed = runner.invoke(cli, ["sources", "import-opml", str(bad)])
    assert failed.exit_code == 2 and str(bad) in failed.stderr


def test_bad_config_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "essentiel.toml").write_text("[edition]\nsize = -1\n", encoding="utf-8")
    result = runner.invoke(cli, ["sources", "list"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: essentiel.toml: edition.size = -1 is not allowed: expected a number from 1 to 100"
    )


def test_import_jsonl_html_folder_and_digest_from_store(
    runner: CliRunner, tmp_path: Path, corpus: list[dict[str, object]]
) -> None:
    rows = pick(corpus, {"12_ecbplus": 4, "28_ecbplus": 2}, french=3)
    path = write_jsonl(tmp_path / "a.jsonl", rows)
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "seed.html").write_bytes((FIXTURES / "extract/seed_ukraine.html").read_bytes())
    (pages / "broken.html").write_bytes(b"\x00\x01 not a page")
    result = runner.invoke(cli, ["import", str(path), str(pages), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report[0]["articles"] == len(rows) and report[1]["articles"] == 1 and len(report[1]["errors"]) == 1
    assert "broken.html" in report[1]["errors"][0]
    out = runner.invoke(cli, ["digest", "--format", "json", "--top", "2"])
    assert out.exit_code == 0, out.output
    top = json.loads(out.stdout)["stories"]
    assert len(top[0]["articles"]) == 4
    missing = runner.invoke(cli, ["import", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr


def test_demo_builds_an_edition_offline(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["demo", "--no-serve", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    from essentiel.store import open_store

    with open_store(tmp_path / "demo/essentiel.db", readonly=True) as store:
        edition = store.latest_edition()
        assert edition is not None and len(edition.stories) >= 12
        assert len(edition.stories[0].outlets) >= 5, "the top story is covered by many outlets"
        assert any("fr" in s.languages for s in edition.stories), "French stories are in the edition"
        for item in edition.stories:
            ids = set(item.story.article_ids)
            assert item.summary.sentences and all(s.article in ids for s in item.summary.sentences)
    index = (tmp_path / "demo/site/index.html").read_text(encoding="utf-8")
    assert "Les nouvelles les plus importantes de la journée" in index
