"""The file contracts: extract, cluster, summarize, digest --from-jsonl. No configuration, no database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from ..errors import InputError, ParseError
from ..extract.article import extract_article
from ..inputs import article_from_json, read_articles, read_html_file, read_json_lines
from ..models import Story
from ..pipeline import digest as run_digest
from ..stories.cluster import cluster_articles
from ..summarize.extractive import ExtractiveSummarizer
from . import cli, emit_json, emit_jsonl, pass_state, progress_bar


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--url", default=None, help="The page's address, when a single FILE is given.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def extract(fmt: str, url: str | None, files: tuple[Path, ...]) -> None:
    """Extract clean articles from saved pages (FILE .html or .html.gz); one JSON object per input, in order.

    A page with no article prints {"source", "error"} and the command exits 1 after the others.
    """
    failed = 0
    with progress_bar("extract", len(files)) as advance:
        for path in files:
            fetched = read_html_file(path)
            try:
                article = extract_article(fetched.content, url if len(files) == 1 else None, source=str(path))
                emit_json(article.to_json())
            except ParseError as exc:
                failed += 1
                click.echo(f"error: {path}: {exc.reason}", err=True)
                emit_json({"source": str(path), "error": exc.reason})
            advance()
    if failed:
        raise SystemExit(1)


@cli.command()
@click.argument("articles_file", metavar="ARTICLES.jsonl")
def cluster(articles_file: str) -> None:
    """Group articles into stories: prints {"id", "story"} for each input line, in input order."""
    articles = read_articles(articles_file)
    story_of = {aid: story.id for story in cluster_articles(articles) for aid in story.article_ids}
    emit_jsonl({"id": a.id, "story": story_of[a.id]} for a in articles)


@cli.command()
@click.option("--language", default=None, help="Preferred language of the summary (e.g. fr, en).")
@click.option("--max-words", default=60, show_default=True, type=click.IntRange(10, 1000))
@click.argument("stories_file", metavar="STORIES.jsonl")
def summarize(language: str | None, max_words: int, stories_file: str) -> None:
    """Summarise stories: reads {"id", "articles": [...]} lines, prints {"id","title","summary","sentences"}."""
    summarizer = ExtractiveSummarizer()
    for where, data in read_json_lines(stories_file):
        if not isinstance(data, dict) or not isinstance(data.get("articles"), list) or not data["articles"]:
            raise InputError(f'{where}: expected {{"id", "articles": [...]}} with at least one article')
        articles = [article_from_json(a, f"{where} article {i}") for i, a in enumerate(data["articles"], 1)]
        story = Story(id=str(data.get("id", where)), article_ids=tuple(a.id for a in articles))
        summary = summarizer.summarize(story, articles, language=language, max_words=max_words)
        emit_json(summary.to_json())


@cli.command()
@click.option(
    "--from-jsonl",
    "from_jsonl",
    default=None,
    metavar="ARTICLES.jsonl",
    help="Build the digest from a file of articles (no sources, no network, no database).",
)
@click.option(
    "--top", default=None, type=click.IntRange(1, 1000), help="How many stories (default: edition.size)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "md", "markdown", "txt", "text"]),
    default="txt",
    show_default=True,
)
@click.option("--language", default=None, help="Preferred summary language (default: the first configured).")
@pass_state
def digest(state: object, from_jsonl: str | None, top: int | None, fmt: str, language: str | None) -> None:
    """The day's most important stories, ranked and summarised, with the reasons for each rank."""
    from ..pipeline import build_edition
    from . import State

    assert isinstance(state, State)
    now = datetime.now(UTC)
    if from_jsonl:
        articles = read_articles(from_jsonl)
        ranked = run_digest(articles, now=now, top=top or 10, language=language)
        by_id = {a.id: a for a in articles}
    else:
        config = state.config
        with state.store() as store:
            edition = build_edition(store, config, now)
            ranked = list(edition.stories[: top or len(edition.stories)])
            by_id = {a.id: a for a in store.get_articles([i for r in ranked for i in r.story.article_ids])}
    if fmt == "json":
        emit_json({"stories": [_story_json(r) for r in ranked]})
        return
    from ..models import Edition
    from ..publish.text import edition_text

    edition = Edition(day=now.date(), created_at=now, stories=tuple(ranked))
    click.echo(edition_text(edition, by_id, language or "fr", format=fmt))


def _story_json(r: object) -> dict[str, object]:
    from ..models import RankedStory

    assert isinstance(r, RankedStory)
    return {
        "rank": r.rank,
        "id": r.story.id,
        "title": r.summary.title or r.story.title,
        "summary": r.summary.text,
        "sentences": [{"text": s.text, "article": s.article} for s in r.summary.sentences],
        "score": round(r.score, 6),
        "articles": list(r.story.article_ids),
        "outlets": list(r.outlets),
        "languages": list(r.languages),
        "entities": [list(e) for e in r.entities],
        "why": dict(r.why),
    }
