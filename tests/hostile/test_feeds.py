"""Hostile feeds: malformed XML, entity attacks, huge documents, 100,000 items, missing fields, odd dates, encodings."""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from essentiel.models import Source

from .conftest import HTML, RSS, HostileRun, HostileServer

ITEM = "<item><title>{title}</title><link>{link}</link></item>"


def feed(*items: str, head: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return f'{head}<rss version="2.0"><channel><title>t</title>{"".join(items)}</channel></rss>'


MALFORMED = {
    "truncated": b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>x</ti',
    "binary junk": bytes(range(256)) * 40,
    "an HTML page": b"<!DOCTYPE html><html><head><title>Oops</title></head><body><p>Not a feed</p></body></html>",
    "empty": b"   \n\t ",
    "unclosed CDATA": b'<rss version="2.0"><channel><item><title><![CDATA[never closed',
    "nested 100,000 deep": b"<rss>" + b"<x>" * 100_000 + b"</rss>",
    "not XML at all": b"Bonjour, ceci n'est pas un flux.",
    "broken gzip": b"\x1f\x8b\x08\x00garbage-after-the-gzip-header",
    "broken JSON Feed": b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_feed(name: str, hostile_run: HostileRun, server: HostileServer) -> None:
    url = server.route("/bad.xml", MALFORMED[name], headers=RSS)
    outcome = hostile_run([Source(url=url, name="bad")])
    error = outcome.error(url)
    assert error.startswith(url + ": "), error
    assert outcome.articles(url) == []


def entity_attacks(server: HostileServer, secret: Path) -> dict[str, bytes]:
    lol = ["&lol;" * 10] + [f"&lol{i - 1};" * 10 for i in range(2, 10)]
    laughs = '<!ENTITY lol "lol">' + "".join(f'<!ENTITY lol{i + 1} "{text}">' for i, text in enumerate(lol))
    file_entity = f'<!ENTITY xxe SYSTEM "file://{secret}">'
    http_entity = f'<!ENTITY xxe SYSTEM "{server.url("/xxe")}">'
    parameter = f'<!ENTITY % p SYSTEM "file://{secret}"> %p;'
    rss_body = '<rss version="2.0"><channel><title>t</title><item><title>a &{e};</title><link>http://x.fr/a</link><description>&{e};</description></item></channel></rss>'
    sitemap = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://x.fr/&{e};</loc></url></urlset>'
    atom = '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>&{e};</title><link href="http://x.fr/a"/><id>x</id></entry></feed>'
    return {
        "billion laughs (RSS)": f'<?xml version="1.0"?><!DOCTYPE rss [{laughs}]>{rss_body.format(e="lol9")}'.encode(),
        "billion laughs (sitemap)": f'<?xml version="1.0"?><!DOCTYPE urlset [{laughs}]>{sitemap.format(e="lol9")}'.encode(),
        "XXE file (RSS)": f'<?xml version="1.0"?><!DOCTYPE rss [{file_entity}]>{rss_body.format(e="xxe")}'.encode(),
        "XXE file (Atom)": f'<?xml version="1.0"?><!DOCTYPE feed [{file_entity}]>{atom.format(e="xxe")}'.encode(),
        "XXE file (sitemap)": f'<?xml version="1.0"?><!DOCTYPE urlset [{file_entity}]>{sitemap.format(e="xxe")}'.encode(),
        "XXE over HTTP (RSS)": f'<?xml version="1.0"?><!DOCTYPE rss [{http_entity}]>{rss_body.format(e="xxe")}'.encode(),
        "XXE parameter entity": f'<?xml version="1.0"?><!DOCTYPE rss [{parameter}]>{rss_body.format(e="lol")}'.encode(),
    }


ENTITY_CASES = [
    "billion laughs (RSS)",
    "billion laughs (sitemap)",
    "XXE file (RSS)",
    "XXE file (Atom)",
    "XXE file (sitemap)",
    "XXE over HTTP (RSS)",
    "XXE parameter entity",
]


@pytest.mark.parametrize("name", ENTITY_CASES)
def test_entity_attacks_are_refused_and_read_nothing(
    name: str, hostile_run: HostileRun, server: HostileServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a", encoding="utf-8")
    server.route("/xxe", "TOP-SECRET-HTTP-9c1d")
    url = server.route("/entities.xml", entity_attacks(server, secret)[name], headers=RSS)
    outcome = hostile_run([Source(url=url, name="entities")])
    assert "refused: the document declares XML entities" in outcome.error(url)
    dump = "\n".join(str(tuple(r)) for r in outcome.store.db.conn.iterdump())
    assert "TOP-SECRET" not in dump and "lollollol" not in dump
    assert server.requests_for("/xxe") == []


def test_external_dtd_is_never_fetched(
    hostile_run: HostileRun, server: HostileServer, tmp_path: Path
) -> None:
    """A DOCTYPE pointing at a DTD elsewhere (no internal entities): the DTD is not loaded, the items are read."""
    server.route("/evil.dtd", '<!ENTITY title "TOP-SECRET-DTD">')
    server.route("/dtd/0.html", server.routes["/good/0.html"].body, headers=HTML)
    url = server.route(
        "/dtd.xml",
        feed(
            ITEM.format(title="Une", link=server.url("/dtd/0.html")),
            head=f'<!DOCTYPE rss SYSTEM "{server.url("/evil.dtd")}">',
        ),
        headers=RSS,
    )
    outcome = hostile_run([Source(url=url, name="dtd")])
    assert outcome.states[url].error_count == 0 and outcome.results[url].new_articles == 1
    assert server.requests_for("/evil.dtd") == []


def _endless_feed(size: int | None) -> object:
    """A feed of valid items that never ends (or announces `size` bytes in Content-Length)."""

    def body(handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        if size is not None:
            handler.send_header("Content-Length", str(size))
        handler.end_headers()
        handler.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>')
        block = b"".join(ITEM.format(title=f"t{i}", link=f"http://x.fr/{i}").encode() for i in range(1000))
        sent = 0
        while not stopping.is_set() and sent < 100_000_000:
            handler.wfile.write(block)
            sent += len(block)

    return body


def test_a_100_mb_feed_announced_is_refused_before_reading(
    hostile_run: HostileRun, server: HostileServer
) -> None:
    url = server.stream("/huge.xml", _endless_feed(100_000_000))  # type: ignore[arg-type]
    outcome = hostile_run([Source(url=url, name="huge")])
    assert "body too large: 100000000 bytes (max_bytes is 10000000)" in outcome.error(url)


def test_a_100_mb_feed_streamed_is_cut_at_max_bytes(hostile_run: HostileRun, server: HostileServer) -> None:
    url = server.stream("/huge.xml", _endless_feed(None))  # type: ignore[arg-type]
    outcome = hostile_run([Source(url=url, name="huge")], ESSENTIEL_FETCH_MAX_BYTES="2000000")
    assert "body too large: more than 2000000 bytes (max_bytes)" in outcome.error(url)


def test_a_gzip_bomb_feed(hostile_run: HostileRun, server: HostileServer) -> None:
    bomb = gzip.compress(b"<rss>" + b" " * 100_000_000, compresslevel=9)
    url = server.route("/bomb.xml", bomb, headers={**RSS, "Content-Encoding": "gzip"})
    outcome = hostile_run([Source(url=url, name="bomb")])
    assert "decompression bomb" in outcome.error(url)


def test_a_gzipped_sitemap_of_100_mb(hostile_run: HostileRun, server: HostileServer) -> None:
    """Served as a .gz file (no Content-Encoding): the parser's own bound stops it."""
    bomb = gzip.compress(b'<?xml version="1.0"?><urlset>' + b" " * 100_000_000, compresslevel=9)
    url = server.route("/sitemap.xml.gz", bomb, headers={"Content-Type": "application/x-gzip"})
    outcome = hostile_run([Source(url=url, name="sitemap", kind="sitemap")])
    assert "larger than 50000000 bytes once decompressed" in outcome.error(url)


def test_100000_items_only_the_first_thousand_are_read(
    hostile_run: HostileRun, server: HostileServer
) -> None:
    items = [ITEM.format(title=f"Titre {i}", link=server.url(f"/many/{i}.html")) for i in range(100_000)]
    url = server.route("/many.xml", feed(*items), headers=RSS)
    outcome = hostile_run([Source(url=url, name="many")])
    assert outcome.states[url].error_count == 0  # the check itself succeeded
    fetched = [r for r in server.requests if r.path.startswith("/many/")]
    assert len(fetched) == 1000 and {r.path for r in fetched} == {f"/many/{i}.html" for i in range(1000)}
    assert len(outcome.results[url].errors) == 1000  # every page 404: skipped, named, the run goes on
    assert outcome.articles(url) == []


def test_items_without_links_or_titles(hostile_run: HostileRun, server: HostileServer) -> None:
    for index in range(2):
        server.route(f"/own/{index}.html", server.routes[f"/good/{index}.html"].body, headers=HTML)
    url = server.route(
        "/partial.xml",
        feed(
            "<item><title>No link at all</title><description>x</description></item>",
            "<item><link></link><title>Empty link</title></item>",
            f"<item><link>{server.url('/own/0.html')}</link></item>",  # no title: the page's
            f"<item><guid>{server.url('/own/1.html')}</guid><title>Link from GUID</title></item>",
            "<item></item>",
        ),
        headers=RSS,
    )
    outcome = hostile_run([Source(url=url, name="partial")])
    assert outcome.states[url].error_count == 0 and outcome.results[url].new_articles == 2
    articles = sorted(outcome.articles(url), key=lambda a: a["url"])
    assert [a["url"] for a in articles] == [server.url("/own/0.html"), server.url("/own/1.html")]
    assert all(a["title"] and a["title"] != a["url"] for a in articles)


@pytest.mark.parametrize(
    "date",
    [
        "Fri, 01 Jan 2999 00:00:00 GMT",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "Sat, 01 Jan 0001 00:00:00 GMT",
        "yesterday-ish",
        "Mon, 99 Foo 2024 99:99:99 +9999",
    ],
)
def test_dates_in_the_future_or_in_1970_are_not_believed(
    date: str, hostile_run: HostileRun, server: HostileServer
) -> None:
    server.route(
        "/dated/0.html", server.routes["/good/0.html"].body.replace(b"/good/", b"/dated/"), headers=HTML
    )
    item = (
        f"<item><title>Daté</title><link>{server.url('/dated/0.html')}</link><pubDate>{date}</pubDate></item>"
    )
    url = server.route("/dated.xml", feed(item), headers=RSS)
    outcome = hostile_run([Source(url=url, name="dated")])
    [article] = outcome.articles(url)
    assert article["published"] is None or article["published"][:4] not in {"2999", "1970", "0001"}


TITLE = "L'Élysée répond"


def titled(link: str, encoding: str, declared: str | None, title: str = TITLE) -> bytes:
    head = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    return feed(ITEM.format(title=title, link=link), head=head).encode(encoding)


ENCODINGS = {
    "latin-1 declared": lambda link: titled(link, "latin-1", "iso-8859-1"),
    "windows-1252 quotes": lambda link: titled(link, "cp1252", "windows-1252", "L\u2019Élysée répond"),
    "UTF-16 with BOM": lambda link: titled(link, "utf-16", "utf-16"),
    "UTF-8 BOM, latin-1 declared": lambda link: b"\xef\xbb\xbf" + titled(link, "utf-8", "iso-8859-1"),
    "UTF-8 declared, latin-1 bytes": lambda link: titled(link, "latin-1", "utf-8"),
    "mixed UTF-8 and latin-1": lambda link: titled(link, "utf-8", "utf-8").replace(
        b"<title>t", "<title>té".encode("latin-1")
    ),
    "UTF-32": lambda link: titled(link, "utf-32", "utf-32"),
    "no declaration, Shift-JIS header": lambda link: titled(link, "utf-8", None),
}
CLEAN = {"latin-1 declared", "windows-1252 quotes", "UTF-16 with BOM", "UTF-8 BOM, latin-1 declared"}


@pytest.mark.parametrize("name", ENCODINGS)
def test_encoding_mixes(name: str, hostile_run: HostileRun, server: HostileServer) -> None:
    link = server.url("/enc/0.html")
    server.route("/enc/0.html", server.routes["/good/0.html"].body.replace(b"/good/", b"/enc/"), headers=HTML)
    headers = {"Content-Type": "application/rss+xml; charset=shift_jis"} if "Shift-JIS" in name else RSS
    url = server.route("/enc.xml", ENCODINGS[name](link), headers=headers)
    outcome = hostile_run([Source(url=url, name="enc", full_page=False)])
    if name in CLEAN:
        assert outcome.states[url].error_count == 0
        [article] = outcome.articles(url)
        assert "Élysée répond" in article["title"], article["title"]
    else:  # a lie about the encoding: read as well as can be, or refused with a clear error; never a crash
        state = outcome.states[url]
        assert state.error_count == 0 or (state.last_error or "").startswith(url + ": ")


PAGE_ENCODINGS = {
    "meta charset only": ("windows-1252", {"Content-Type": "text/html"}, '<meta charset="windows-1252">'),
    "header lies (utf-8), bytes latin-1": ("latin-1", {"Content-Type": "text/html; charset=utf-8"}, ""),
    "UTF-16 page": ("utf-16", {"Content-Type": "text/html; charset=utf-16"}, ""),
    "unknown charset": ("utf-8", {"Content-Type": "text/html; charset=x-klingon"}, ""),
}


@pytest.mark.parametrize("name", PAGE_ENCODINGS)
def test_page_encodings(name: str, hostile_run: HostileRun, server: HostileServer) -> None:
    encoding, headers, meta = PAGE_ENCODINGS[name]
    text = "Le président de l'Assemblée a répondu aux élus réunis à l'Élysée. " * 20
    html = f"<html><head>{meta}<title>L'Élysée répond</title></head><body><article><h1>L'Élysée répond</h1><p>{text}</p><p>{text}</p></article></body></html>"
    server.route("/p/0.html", html.encode(encoding), headers=headers)
    url = server.route(
        "/p.xml", feed(ITEM.format(title="L'Élysée répond", link=server.url("/p/0.html"))), headers=RSS
    )
    outcome = hostile_run([Source(url=url, name="pages")])
    assert outcome.states[url].error_count == 0
    for article in outcome.articles(url):  # stored, or skipped with a clear error; never garbage markup
        assert "<" not in article["text"]
    if name != "header lies (utf-8), bytes latin-1":
        [article] = outcome.articles(url)
        assert "Assemblée" in article["text"], article["text"][:200]
