"""`essentiel eval extraction`: our extractor against bare trafilatura, in the same run, on two real sets.

* trafilatura-eval: upstream's snippet metric ("with" snippets found are true positives, missing ones false
  negatives, "without" snippets found false positives; counts summed over pages). Our output is what a reader
  sees: title, lead and text. Bare trafilatura is `trafilatura.extract(html)` with its defaults.
* fundus-publisher-tests: title exact match (our kicker and title joined back count), published date to the
  minute (compared in UTC) and to the day, author-set F1, body token F1 against `gold_body_paragraphs` (our
  lead + text). Bare trafilatura is `bare_extraction(html, url=url, with_metadata=True)`.

`split_of` puts about half of each set in "dev" (the only part used to tune rules), the rest in "test".
Speed: pages per second on one core, both systems timed in turn on each page (docs/extraction.md).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import trafilatura
from rich.console import Console
from rich.table import Table
from trafilatura.settings import Document

from essentiel.errors import EssentielError, InputError
from essentiel.extract.article import extract_article
from essentiel.extract.metadata import INVISIBLE

logger = logging.getLogger(__name__)

TRAFILATURA_EVAL = Path("extraction/trafilatura-eval")
FUNDUS = Path("extraction/fundus-publisher-tests")
_WORD = re.compile(r"\w+")


def split_of(name: str) -> str:
    """'dev' or 'test' for a file name: the first byte of its SHA-1, even or odd (deterministic, ~50/50)."""
    return "dev" if hashlib.sha1(Path(name).name.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def _keep(name: str, split: str) -> bool:
    return split == "all" or split_of(name) == split


def _ws(text: str) -> str:
    """Whitespace normalised, invisible formatting characters removed (`metadata.INVISIBLE`: they are not part of
    a title's wording; a taz gold title ends with a zero-width space, a Tages-Anzeiger one has a soft hyphen)."""
    return " ".join(text.translate(INVISIBLE).split())


# --- trafilatura-eval -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SnippetCase:
    """One page of trafilatura-eval with its snippets."""

    name: str
    url: str
    html: bytes
    with_: tuple[str, ...]
    without: tuple[str, ...]
    language: str


def load_snippet_cases(data: Path, split: str, limit: int | None) -> list[SnippetCase]:
    """The trafilatura-eval pages of `split` (in the file's order), at most `limit`."""
    root = data / TRAFILATURA_EVAL
    try:
        gold = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
        langs = dict(
            (row[1], row[2]) for row in (line.split("\t") for line in _lines(root / "html_lang.tsv")[1:])
        )
    except (OSError, ValueError, IndexError) as exc:
        raise InputError(f"{root}: cannot read the trafilatura-eval set ({exc})") from exc
    cases = []
    for url, item in gold.items():
        name = item["file"]
        if not _keep(name, split):
            continue
        html = _read_gz(root / "html" / f"{name}.gz")
        lang = langs.get(name, "").strip().lower()[:2]
        cases.append(SnippetCase(name, url, html, tuple(item["with"]), tuple(item["without"]), lang))
        if limit and len(cases) >= limit:
            break
    return cases


def _read_gz(path: Path) -> bytes:
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read the page ({exc})") from exc


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@dataclass
class Counts:
    """Summed snippet counts of one system."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def add(self, output: str, case: SnippetCase) -> None:
        text = _ws(output)
        found = [_ws(s) in text for s in case.with_]
        leaked = [_ws(s) in text for s in case.without]
        self.tp, self.fn = self.tp + sum(found), self.fn + found.count(False)
        self.fp, self.tn = self.fp + sum(leaked), self.tn + leaked.count(False)

    def figures(self) -> dict[str, float]:
        tp, fn, fp = self.tp, self.fn, self.fp
        return {
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else 0.0,
            "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        }


def ours_output(html: bytes, url: str | None) -> str:
    """What a reader sees of our extraction: title, lead and text ('' when there is no article)."""
    try:
        art = extract_article(html, url)
    except EssentielError:
        return ""
    return "\n".join(part for part in (art.title, art.lead, art.text) if part)


def bare_output(html: bytes, url: str | None) -> str:
    return trafilatura.extract(html) or ""


def _timed(fn: Callable[[bytes, str | None], Any], html: bytes, url: str | None) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn(html, url)
    return result, time.perf_counter() - start


def eval_snippets(cases: list[SnippetCase]) -> dict[str, Any]:
    """Snippet precision / recall / F1 of both systems, overall and on French pages, with the time spent."""
    systems = {"essentiel": ours_output, "trafilatura": bare_output}
    out: dict[str, Any] = {"pages": len(cases), "french_pages": sum(c.language == "fr" for c in cases)}
    counts = {label: (Counts(), Counts()) for label in systems}
    seconds = dict.fromkeys(systems, 0.0)
    for case in cases:  # both systems on each page in turn, so a busy machine slows both alike
        for label, fn in systems.items():
            output, spent = _timed(fn, case.html, case.url)
            seconds[label] += spent
            counts[label][0].add(output, case)
            if case.language == "fr":
                counts[label][1].add(output, case)
    for label, (overall, french) in counts.items():
        out[label] = {**overall.figures(), "fr": french.figures(), "seconds": seconds[label]}
    return out


# --- fundus-publisher-tests ------------------------------------------------------------------------


@dataclass(frozen=True)
class FundusCase:
    """One page of fundus-publisher-tests with its expected fields."""

    name: str
    url: str
    html: bytes
    title: str
    published: datetime | None
    authors: tuple[str, ...]
    body: str
    french: bool


@dataclass(frozen=True)
class Prediction:
    title: str
    kicker: str
    published: datetime | None
    authors: tuple[str, ...]
    body: str


def load_fundus_cases(data: Path, split: str, limit: int | None) -> list[FundusCase]:
    """The fundus-publisher-tests pages of `split` (manifest order), at most `limit`."""
    root = data / FUNDUS
    try:
        rows = [json.loads(line) for line in _lines(root / "manifest.jsonl") if line.strip()]
    except (OSError, ValueError) as exc:
        raise InputError(f"{root}: cannot read the fundus manifest ({exc})") from exc
    cases = []
    for row in rows:
        if not _keep(row["html_file"], split):
            continue
        gold = row["gold"]
        cases.append(
            FundusCase(
                name=row["html_file"],
                url=row["url"],
                html=_read_gz(root / row["html_file"]),
                title=_ws(gold.get("title") or ""),
                published=_datetime(gold.get("publishing_date")),
                authors=tuple(_ws(a) for a in gold.get("authors") or ()),
                body="\n".join(row["gold_body_paragraphs"]),
                french=row["country"] == "fr" or "fr" in (row["languages"] or []),
            )
        )
        if limit and len(cases) >= limit:
            break
    return cases


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def predict_ours(html: bytes, url: str | None) -> Prediction | None:
    try:
        art = extract_article(html, url)
    except EssentielError:
        return None
    body = "\n".join(part for part in (art.lead, art.text) if part)
    return Prediction(art.title, art.kicker, art.published, art.authors, body)


def predict_bare(html: bytes, url: str | None) -> Prediction | None:
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if not isinstance(doc, Document):
        return None
    authors = tuple(_ws(a) for a in (doc.author or "").split(";") if a.strip())
    return Prediction(_ws(doc.title or ""), "", _datetime(doc.date), authors, doc.text or "")


def title_matches(gold: str, title: str, kicker: str = "") -> bool:
    """Exact match after whitespace normalisation; a split kicker joined back ('Kicker : Title') counts."""
    title = _ws(title)
    if gold == title or not kicker or not gold.startswith(kicker):
        return gold == title
    rest = gold[len(kicker) :].lstrip(" :.-–—|")
    return bool(rest) and rest[0].upper() + rest[1:] == title


def token_prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """Bag-of-words precision, recall and F1 over lower-cased word tokens (0 when nothing overlaps)."""
    pred, ref = Counter(_WORD.findall(predicted.lower())), Counter(_WORD.findall(gold.lower()))
    overlap = sum((pred & ref).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    p, r = overlap / sum(pred.values()), overlap / sum(ref.values())
    return p, r, 2 * p * r / (p + r)


def token_f1(predicted: str, gold: str) -> float:
    """Bag-of-words F1 over lower-cased word tokens."""
    return token_prf(predicted, gold)[2]


def set_f1(predicted: Iterable[str], gold: Iterable[str]) -> float:
    pred, ref = {a.casefold() for a in predicted}, {a.casefold() for a in gold}
    if not pred and not ref:
        return 1.0
    overlap = len(pred & ref)
    return 2 * overlap / (len(pred) + len(ref)) if overlap else 0.0


def score_fundus(case: FundusCase, pred: Prediction | None) -> dict[str, float]:
    """Per-page scores: title, date (minute, day), authors F1, body token precision, recall and F1."""
    if pred is None:
        pred = Prediction("", "", None, (), "")
    gold_date, date = case.published, pred.published
    minute = day = False
    if gold_date and date:
        minute = gold_date.astimezone(UTC).replace(second=0, microsecond=0) == date.astimezone(UTC).replace(
            second=0, microsecond=0
        )
        day = date.date() == gold_date.date() or date.astimezone(gold_date.tzinfo).date() == gold_date.date()
    body_p, body_r, body_f1 = token_prf(pred.body, case.body)
    return {
        "title": float(title_matches(case.title, pred.title, pred.kicker)),
        "date_minute": float(minute),
        "date_day": float(day),
        "authors_f1": set_f1(pred.authors, case.authors),
        "body_p": body_p,
        "body_r": body_r,
        "body_f1": body_f1,
    }


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = ("title", "date_minute", "date_day", "authors_f1", "body_p", "body_r", "body_f1")
    return {k: sum(r[k] for r in rows) / len(rows) if rows else 0.0 for k in keys}


def eval_fundus(cases: list[FundusCase]) -> dict[str, Any]:
    """Mean per-page scores of both systems, overall and on French pages, with the time spent."""
    systems = {"essentiel": predict_ours, "trafilatura": predict_bare}
    out: dict[str, Any] = {"pages": len(cases), "french_pages": sum(c.french for c in cases)}
    rows: dict[str, list[dict[str, float]]] = {label: [] for label in systems}
    seconds = dict.fromkeys(systems, 0.0)
    for case in cases:  # both systems on each page in turn
        for label, fn in systems.items():
            pred, spent = _timed(fn, case.html, case.url)
            seconds[label] += spent
            rows[label].append(score_fundus(case, pred))
    for label, scores in rows.items():
        french = [row for row, case in zip(scores, cases, strict=True) if case.french]
        out[label] = {**_mean(scores), "fr": _mean(french), "seconds": seconds[label]}
    return out


# --- running and printing --------------------------------------------------------------------------


def speed(figures: dict[str, Any]) -> dict[str, float]:
    """Pages per second of each system over both sets, and our time per page over trafilatura's."""
    sets = [figures["trafilatura_eval"], figures["fundus"]]
    pages = sum(f["pages"] for f in sets)
    secs = {s: sum(f[s]["seconds"] for f in sets) for s in ("essentiel", "trafilatura")}
    return {
        "pages": pages,
        "essentiel_pages_per_s": pages / secs["essentiel"] if secs["essentiel"] else 0.0,
        "trafilatura_pages_per_s": pages / secs["trafilatura"] if secs["trafilatura"] else 0.0,
        "time_ratio": secs["essentiel"] / secs["trafilatura"] if secs["trafilatura"] else 0.0,
    }


def warm_up() -> None:
    """Load what both systems load once (language model, XPath caches), so timings are per page only."""
    page = (
        b"<html><body><article><p>"
        + b"A first paragraph of plain words for the warm-up run. " * 8
        + b"</p></article>"
    )
    ours_output(page, None)
    bare_output(page, None)


def run(data: Path, *, limit: int | None = None, split: str = "all", as_json: bool = False) -> dict[str, Any]:
    """Evaluate both systems on both sets (the `split` part of each), print a table or JSON, return figures."""
    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # its per-page warnings would drown the table
    warm_up()
    figures: dict[str, Any] = {"split": split}
    figures["trafilatura_eval"] = eval_snippets(load_snippet_cases(data, split, limit))
    figures["fundus"] = eval_fundus(load_fundus_cases(data, split, limit))
    figures["speed"] = speed(figures)
    if as_json:
        print(json.dumps(figures, indent=2, sort_keys=True))
    else:
        Console(width=180).print(*tables(figures))
    return figures


def tables(figures: dict[str, Any]) -> Iterator[Table]:
    """The figures as three rich tables: trafilatura-eval, fundus, speed."""
    snip = figures["trafilatura_eval"]
    table = Table(
        title=f"trafilatura-eval ({figures['split']}: {snip['pages']} pages, fr {snip['french_pages']})"
    )
    for column in ("system", "precision", "recall", "F1", "fr precision", "fr recall", "fr F1"):
        table.add_column(column, justify="left" if column == "system" else "right")
    for system in ("essentiel", "trafilatura"):
        f = snip[system]
        values = (
            f["precision"],
            f["recall"],
            f["f1"],
            f["fr"]["precision"],
            f["fr"]["recall"],
            f["fr"]["f1"],
        )
        table.add_row(system, *(f"{v:.3f}" for v in values))
    yield table
    fun = figures["fundus"]
    table = Table(
        title=f"fundus-publisher-tests ({figures['split']}: {fun['pages']} pages, fr {fun['french_pages']})"
    )
    keys = ("title", "date_minute", "date_day", "authors_f1", "body_p", "body_r", "body_f1")
    fr_keys = ("title", "date_minute", "authors_f1", "body_f1")
    for column in ("system", *keys, *(f"fr {k}" for k in fr_keys)):
        table.add_column(column, justify="left" if column == "system" else "right")
    for system in ("essentiel", "trafilatura"):
        f = fun[system]
        row = [f[k] for k in keys] + [f["fr"][k] for k in fr_keys]
        table.add_row(system, *(f"{v:.3f}" for v in row))
    yield table
    speed = figures["speed"]
    table = Table(title=f"speed (one core, {speed['pages']} pages)")
    for column in ("essentiel pages/s", "trafilatura pages/s", "time ratio (essentiel / trafilatura)"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{speed['essentiel_pages_per_s']:.1f}",
        f"{speed['trafilatura_pages_per_s']:.1f}",
        f"{speed['time_ratio']:.2f}",
    )
    yield table
