"""trafilatura's metadata, only the parts an article needs (title, author, URL, site name, image, description).

`trafilatura.extract_metadata` also looks for categories, tags and a license, and always runs htmldate on the
whole page; here htmldate runs only when the page has no date in its markup (`need_date`), and tags come from
`essentiel.extract.metadata`. Same functions, same order, so the values are trafilatura's own.
"""

from __future__ import annotations

import logging

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document, set_date_params

logger = logging.getLogger(__name__)


def page_metadata(tree: HtmlElement, url: str | None, *, need_date: bool) -> Document:
    """Title, author, URL, site name, image, description (and the htmldate date when `need_date`)."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # a single word is a handle or a site, not a name (as trafilatura does)
    try:
        meta = extract_meta_json(tree, meta)
    except Exception as error:  # noqa: BLE001 - trafilatura's JSON-LD reader has bugs on odd pages
        logger.debug("trafilatura JSON-LD metadata failed: %s", error)
    meta.title = meta.title or extract_title(tree)
    meta.author = meta.author or extract_author(tree)
    meta.url = meta.url or extract_url(tree, url)
    if need_date:
        # no date guessed from the body text ("Passed in January 2009" is not a publication date)
        meta.date = find_date(tree, **{**set_date_params(extensive=False), "url": meta.url or url})
    meta.sitename = (meta.sitename or extract_sitename(tree) or "").lstrip("@") or None
    if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
        meta.sitename = meta.sitename.title()
    meta.clean_and_trim()
    return meta
