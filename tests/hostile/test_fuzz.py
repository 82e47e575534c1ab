"""Fuzzing with hypothesis: the feed parser, the URL canonicaliser, the extractor's cleanup and the config loader.

Each property holds for any input: the function returns what it promises or raises its one documented error
(ParseError, ConfigError...), never anything else. Example counts are modest so the suite stays fast.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from essentiel.config import SETTINGS, load_config
from essentiel.errors import ConfigError, ParseError
from essentiel.extract.cleanup import clean_authors, clean_body, normalize, split_kicker, strip_embeds
from essentiel.fetch.urls import canonical_url, is_tracking_param
from essentiel.sources.feeds import EARLIEST, parse_feed

FUZZ = settings(
    max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)  # derandomized: CI sees the same cases every run
FEED_URL = "https://www.journal.example/rss.xml"

# --- the feed parser ---------------------------------------------------------------------------------------

LINKS = st.one_of(
    st.sampled_from(
        ["https://a.example/1", "/relative/2", "javascript:alert(1)", "data:,x", "http://[", "", "ftp://f/3"]
    ),
    st.text(max_size=40),
)
DATES = st.one_of(
    st.sampled_from(
        [
            "Fri, 01 Jan 2999 00:00:00 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "2024-02-30",
            "",
            "Mon, 03 Jun 2024 10:00:00 +0200",
        ]
    ),
    st.text(max_size=30),
)
TEXT = st.text(max_size=60)


def xml_text(value: str) -> str:
    cleaned = "".join(
        ch
        for ch in value
        if ch in "\t\n\r" or (ch >= " " and ch not in "\ufffe\uffff" and not "\ud800" <= ch <= "\udfff")
    )
    return cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def feeds(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["rss", "atom", "json"]))
    entries = draw(st.lists(st.tuples(TEXT, LINKS, DATES, TEXT), max_size=8))
    if kind == "json":
        items = [
            {"id": t, "url": link, "title": t, "date_published": d, "content_html": c}
            for t, link, d, c in entries
        ]
        return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()
    if kind == "atom":
        body = "".join(
            f'<entry><title>{xml_text(t)}</title><link href="{xml_text(link)}"/><updated>{xml_text(d)}</updated><content type="html">{xml_text(c)}</content></entry>'
            for t, link, d, c in entries
        )
        return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{body}</feed>'.encode()
    body = "".join(
        f"<item><title>{xml_text(t)}</title><link>{xml_text(link)}</link><pubDate>{xml_text(d)}</pubDate><description>{xml_text(c)}</description></item>"
        for t, link, d, c in entries
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


@FUZZ
@given(document=feeds())
def test_feed_parser_gives_web_links_and_plausible_dates(document: bytes) -> None:
    try:
        items = parse_feed(document, FEED_URL)
    except ParseError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(FEED_URL)
        return
    latest = datetime.now(UTC) + timedelta(days=1, minutes=1)
    for item in items:
        parts = urlsplit(item.url)
        assert parts.scheme in ("http", "https") and parts.hostname, item.url
        assert item.published is None or EARLIEST <= item.published <= latest, item.published
    assert len({i.url for i in items}) == len(items)


@FUZZ
@given(document=feeds(), cut=st.integers(min_value=0, max_value=400), noise=st.binary(max_size=20))
def test_feed_parser_on_cut_and_corrupted_feeds(document: bytes, cut: int, noise: bytes) -> None:
    broken = document[: len(document) - cut] + noise
    try:
        parse_feed(broken, FEED_URL)
    except ParseError as exc:
        assert "\n" not in str(exc)


# --- the URL canonicaliser ---------------------------------------------------------------------------------

HOSTS = st.from_regex(r"\A[a-zA-Z][a-zA-Z0-9-]{0,10}(\.[a-zA-Z]{2,5}){1,2}\Z")
SEGMENTS = st.lists(st.from_regex(r"\A[A-Za-z0-9._~%-]{0,8}\Z"), max_size=4)
PARAMS = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(["utm_source", "UTM_Medium", "fbclid", "xtor", "at_medium", "id", "page", "q"]),
            st.from_regex(r"\A[a-z_]{1,6}\Z"),
        ),
        st.from_regex(r"\A[A-Za-z0-9%-]{0,6}\Z"),
    ),
    max_size=5,
)


@st.composite
def web_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HtTpS"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/".join(draw(SEGMENTS))
    query = "&".join(f"{k}={v}" for k, v in draw(PARAMS))
    fragment = draw(st.sampled_from(["", "#top", "#"]))
    return f"{scheme}://{draw(HOSTS)}{port}/{path}{'?' + query if query else ''}{fragment}"


@FUZZ
@given(url=web_urls())
def test_canonical_url_properties(url: str) -> None:
    canonical = canonical_url(url)
    assert canonical_url(canonical) == canonical  # idempotent
    parts = urlsplit(canonical)
    assert parts.scheme == parts.scheme.lower() and parts.netloc == parts.netloc.lower()
    assert not parts.fragment and parts.path.startswith("/")
    assert not any(is_tracking_param(name) for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    assert parts.port not in (80, 443) or (parts.scheme, parts.port) in (("http", 443), ("https", 80))
    kept = [p for p in urlsplit(url).query.split("&") if p and not is_tracking_param(p.split("=", 1)[0])]
    assert parts.query == "&".join(kept)  # other parameters kept, in order


@FUZZ
@given(text=st.text(max_size=80))
def test_canonical_url_on_any_text_returns_or_raises_value_error(text: str) -> None:
    try:
        canonical = canonical_url(text)
    except ValueError:
        return
    assert isinstance(canonical, str)


# --- the extractor's cleanup -------------------------------------------------------------------------------

LINES = st.lists(
    st.one_of(
        st.text(max_size=80),
        st.sampled_from(
            [
                "Lire aussi : un autre article",
                "Partager sur Facebook",
                "Par Jean Dupont",
                "L'essentiel",
                "Abonnez-vous",
                "Publicité",
                "…",
                "",
            ]
        ),
    ),
    max_size=12,
)


@FUZZ
@given(lines=LINES, title=st.text(max_size=60), description=st.text(max_size=80))
def test_clean_body_keeps_only_lines_of_its_input(lines: list[str], title: str, description: str) -> None:
    text = "\n".join(lines)
    cleaned = clean_body(text, titles=[title], description=description)
    source = {" ".join(line.split()) for line in text.splitlines()} | {" ".join(description.split())}
    for line in cleaned.text.splitlines():
        assert " ".join(line.split()) in source or any(" ".join(line.split()) in s for s in source), line
    assert all(author and "\n" not in author for author in cleaned.authors)


@FUZZ
@given(raw=st.one_of(st.none(), st.text(max_size=80), st.lists(st.text(max_size=30), max_size=5)))
def test_clean_authors_gives_distinct_one_line_names(raw: str | list[str] | None) -> None:
    authors = clean_authors(raw)
    assert len(set(authors)) == len(authors)
    assert all(a and a == a.strip() and "\n" not in a for a in authors)


@FUZZ
@given(title=st.text(max_size=80))
def test_split_kicker_and_normalize(title: str) -> None:
    kicker, rest = split_kicker(title)
    flat = " ".join(title.split())
    assert (kicker, rest) == ("", flat) or (kicker and kicker in flat and rest[1:] in flat)
    assert normalize(normalize(title)) == normalize(title)


TAGS = st.sampled_from(
    ["div", "p", "blockquote", "iframe", "script", "aside", "figure", "a", "span", "section"]
)
CLASSES = st.sampled_from(
    ["", "twitter-tweet", "instagram-media", "share", "social", "embed", "article", "related"]
)


@st.composite
def html_trees(draw: st.DrawFn, depth: int = 0) -> str:
    children = draw(
        st.lists(
            st.one_of(
                st.text(max_size=20).map(xml_text), html_trees(depth + 1) if depth < 3 else st.just("")
            ),
            max_size=4,
        )
    )
    tag = draw(TAGS)
    return f'<{tag} class="{draw(CLASSES)}">{"".join(children)}</{tag}>'


@FUZZ
@given(body=html_trees())
def test_strip_embeds_on_any_tree(body: str) -> None:
    tree = lxml.html.document_fromstring(f"<html><body>{body}<p>fin</p></body></html>")
    removed = strip_embeds(tree)
    assert removed >= 0
    assert strip_embeds(tree) == 0  # nothing left to strip
    assert "fin" in tree.text_content()


# --- the config loader -------------------------------------------------------------------------------------

KEYS = st.one_of(st.sampled_from([s.key for s in SETTINGS]), st.from_regex(r"\A[a-z]{1,8}\.[a-z_]{1,10}\Z"))
VALUES = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=30),
    st.lists(st.text(max_size=10), max_size=3),
)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | list):
        return json.dumps(value)  # a JSON string or array of strings is TOML too (or a TOML error)
    return repr(value)


@FUZZ
@given(
    entries=st.dictionaries(KEYS, VALUES, max_size=6),
    sources=st.lists(
        st.dictionaries(st.sampled_from(["url", "name", "weight", "kind", "bogus"]), VALUES, max_size=3),
        max_size=2,
    ),
    garbage=st.one_of(st.just(""), st.text(max_size=20)),
)
def test_config_loader_accepts_or_names_the_problem(
    entries: dict[str, object], sources: list[dict[str, object]], garbage: str
) -> None:
    sections: dict[str, list[str]] = {}
    for key, value in entries.items():
        section, name = key.split(".", 1)
        sections.setdefault(section, []).append(f"{name} = {toml_value(value)}")
    text = "".join(f"[{section}]\n" + "\n".join(lines) + "\n" for section, lines in sections.items())
    text += "".join(
        "[[sources]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in s.items()) for s in sources
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "essentiel.toml"
        path.write_text(text + garbage, encoding="utf-8", errors="surrogatepass")
        try:
            config = load_config(path, env={})
        except ConfigError as exc:
            message = str(exc)
            assert "\n" not in message.strip() and message.startswith(str(path)), message
            return
        for setting in SETTINGS:
            assert setting.check(config[setting.key]) is None, setting.key


@FUZZ
@given(
    overrides=st.dictionaries(st.sampled_from([s.key for s in SETTINGS]), st.text(max_size=20), max_size=4)
)
def test_environment_overrides_are_checked(overrides: dict[str, str]) -> None:
    env = {"ESSENTIEL_" + key.replace(".", "_").upper(): value for key, value in overrides.items()}
    try:
        config = load_config(None, env=env)
    except ConfigError as exc:
        assert "\n" not in str(exc).strip() and str(exc).startswith("environment ESSENTIEL_")
        return
    for setting in SETTINGS:
        assert setting.check(config[setting.key]) is None, setting.key
