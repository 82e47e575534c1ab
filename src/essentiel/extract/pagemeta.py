"""trafilatura's metadata, only the parts an article needs (title, author, URL, site name, image, description).

`trafilatura.extract_metadata` also looks for categories, tags and a license, always runs htmldate on the whole
page, and searches the HTML for a byline on a deep copy of the tree. Here htmldate runs only when the page has no
date in its markup (`need_date`), tags come from `essentiel.extract.metadata`, the title from
`metadata.headline`, and the byline search (`html_byline`) runs only when no other source named an author, on
the page's own tree once nothing else needs it (no copy). Same functions, so the values are trafilatura's own.
"""

from __future__ import annotations

import logging
import re

from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import examine_meta, extract_meta_json, extract_sitename, extract_url
from trafilatura.settings import Document, set_date_params
from trafilatura.utils import trim
from trafilatura.xml import delete_element

AUTHOR_MAX_CHARS = 120  # as trafilatura's extract_author
JSON_TYPES = ("application/ld+json", "application/settings+json")
# trafilatura's JSON-LD reader falls back to regular expressions that take a second on an 840 kB JSON-LD script
# (a live blog's, in the fundus dev set): above this size, our own `json.loads` reading is enough.
JSON_MAX_CHARS = 100_000


# trafilatura 2.3's AUTHOR_DISCARD_XPATHS and AUTHOR_XPATHS (trafilatura/xpaths.py) as Python tests: its five
# XPath passes over the whole tree (with an EXSLT regex call per element) cost about a third of a whole trafilatura
# extraction on a typical page. Same regexes, same order (its `rel='me'` test, true only for an element with a
# child element <rel>, is left out). `_author_candidates` finds every element that can pass one of the three
# author tests (each needs one of the `_AUTHOR_HINT` substrings in an attribute); the tests run on those only.
_AUTHOR_ATTRIBUTES = XPath(
    "//author | //@class | //@id | //@rel | //@itemprop | //@data-testid | //@data-component"
)
# every value that can pass one of the tests below holds one of these (a superset: the tests then decide)
_AUTHOR_HINT = re.compile(
    "uthor|yline|byl|BBL|username|zuozhe|bianji|xiaobian|channel-name|submitted-by|posted-by|journalist-name"
    "|screenname|writer"
)
_DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)"
    "|print|category|meta-date|meta-reviewer"
)
_AUTHOR_NAME_CLASS = re.compile("author-?name|AuthorName|authorName")
_AUTHOR_ID = re.compile("author|zuozhe|bianji|xiaobian")
_AUTHOR_CLASS = re.compile(
    "author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
_ANY_AUTHOR_ID = re.compile("[Aa]uthor")
_ANY_AUTHOR_CLASS = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")


def _discarded(e: HtmlElement) -> bool:
    if e.tag in ("time", "figure"):
        return True
    if e.tag not in ("a", "div", "section", "span"):
        return False
    cls, ident = e.get("class", ""), e.get("id", "")
    return (
        ident == "comments"
        or cls in ("comments", "title", "date")
        or bool(ident and _DISCARD_ID.search(ident))
        or bool(cls and _DISCARD_CLASS.search(cls))
        or "Figure" in e.get("data-component", "")
    )


def _specific(e: HtmlElement) -> bool:
    if e.tag == "author":
        return True
    if e.tag not in ("a", "address", "div", "link", "p", "span", "strong"):
        return False
    cls = e.get("class", "")
    return (
        e.get("rel") == "author"
        or e.get("id") == "author"
        or cls == "author"
        or e.get("itemprop") == "author name"
        or e.get("data-testid") in ("AuthorCard", "AuthorURL")
        or bool(cls and _AUTHOR_NAME_CLASS.search(cls))
    )


def _generic(e: HtmlElement) -> bool:
    if e.tag not in ("a", "div", "h3", "h4", "p", "span"):
        return False
    cls, ident = e.get("class", ""), e.get("id", "")
    return (
        cls in ("byline", "username", "byl", "BBL")
        or "author" in e.get("itemprop", "")
        or bool(ident and _AUTHOR_ID.search(ident))
        or bool(cls and _AUTHOR_CLASS.search(cls))
    )


def _last_resort(e: HtmlElement) -> bool:
    cls, ident = e.get("class", ""), e.get("id", "")
    return (
        "Byline" in e.get("data-component", "")
        or "author" in e.get("itemprop", "")
        or bool(ident and _ANY_AUTHOR_ID.search(ident))
        or bool(cls and _ANY_AUTHOR_CLASS.search(cls))
    )


logger = logging.getLogger(__name__)


def page_metadata(tree: HtmlElement, url: str | None, *, need_date: bool) -> Document:
    """Title (meta tags), author (meta tags, JSON-LD), URL, site name, image, description, and the htmldate date
    when `need_date`."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # a single word is a handle or a site, not a name (as trafilatura does)
    ld_chars = sum(len(s.text or "") for s in tree.iter("script") if s.get("type") in JSON_TYPES)
    if ld_chars <= JSON_MAX_CHARS:  # else our own JSON-LD reading (metadata.ld_authors...) is used
        try:
            meta = extract_meta_json(tree, meta)
        except Exception as error:  # noqa: BLE001 - trafilatura's JSON-LD reader has bugs on odd pages
            logger.debug("trafilatura JSON-LD metadata failed: %s", error)
    meta.url = meta.url or extract_url(tree, url)
    if need_date:
        # no date guessed from the body text ("Passed in January 2009" is not a publication date)
        meta.date = find_date(tree, **{**set_date_params(extensive=False), "url": meta.url or url})
    meta.sitename = (meta.sitename or extract_sitename(tree) or "").lstrip("@") or None
    if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
        meta.sitename = meta.sitename.title()
    meta.clean_and_trim()
    return meta


def html_byline(tree: HtmlElement) -> str | None:
    """trafilatura's byline search in the HTML (rel=author, class "author"...) as its `extract_author` does it
    (comments, sidebars, dates and figures removed first; then specific, generic and last-resort tests in turn;
    the first element with 3 to 119 characters of text wins), without copying the tree.

    Only the elements that can pass a test are looked at (`_author_candidates`): one of them counts
    when neither it nor an ancestor is a removed element, and its text is read after removing the removed
    elements inside it (in place: call this last). trafilatura removes every such element of the page first;
    the result is the same, at a fraction of the cost (most elements of a page have a class)."""
    candidates = _author_candidates(tree)
    if not candidates:
        return None
    for test in (_specific, _generic, _last_resort):
        for element in candidates:
            if not test(element) or any(_discarded(e) for e in (element, *element.iterancestors())):
                continue
            for inner in [e for e in element.iterdescendants() if _discarded(e)]:
                delete_element(inner)
            content = trim(" ".join(element.itertext()))
            if content and 2 < len(content) < AUTHOR_MAX_CHARS:
                return normalize_authors(None, content)
    return None


def _author_candidates(tree: HtmlElement) -> list[HtmlElement]:
    """The elements that can pass an author test, in document order: <author>, and those with an attribute
    value holding one of `_AUTHOR_HINT` (one XPath over attribute nodes is much cheaper than one testing each
    element with contains() or a regex)."""
    found: dict[HtmlElement, None] = {}
    for node in _AUTHOR_ATTRIBUTES(tree):
        if isinstance(node, HtmlElement):
            found[node] = None
        elif _AUTHOR_HINT.search(node):
            found[node.getparent()] = None
    return list(found)
