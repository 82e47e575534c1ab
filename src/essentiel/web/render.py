"""Page rendering shared by the web app and the static site: where pages are (`Links`) and `render`."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..models import Article
from ..store.views import slug
from .i18n import Translator, entity_kind

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class Links:
    """Where pages are: served (`/story/<id>`) or written as files relative to the current page (`../story/<id>.html`).

    A page the static site does not have (search, sources, admin) is None there.
    """

    root: str = "/"
    static_site: bool = False

    def _page(self, folder: str, name: str) -> str:
        if self.static_site:
            return f"{self.root}{folder}/{file_name(name)}.html"
        return f"{self.root}{folder}/{quote(name, safe='')}"

    def _index(self, name: str) -> str:
        return f"{self.root}{name}.html" if self.static_site else f"{self.root}{name}"

    def home(self) -> str:
        return f"{self.root}index.html" if self.static_site else self.root

    def edition(self, day: date) -> str:
        return self._page("edition", day.isoformat())

    def story(self, story_id: str) -> str:
        return self._page("story", story_id)

    def article(self, article_id: str) -> str:
        return self._page("article", article_id)

    def entity(self, name: str) -> str:
        """An entity's page: by name when served (any case), by its key (`slug`) as a file."""
        return self._page("entity", slug(name) or "_") if self.static_site else self._page("entity", name)

    def dossier(self, key: str) -> str:
        """A dossier's page, by its key (`essentiel.store.views.slug` of its label)."""
        return self._page("dossier", key)

    def dossiers(self) -> str:
        return self._index("dossiers")

    def archive(self) -> str:
        return self._index("archive")

    def admin(self) -> str | None:
        return None if self.static_site else f"{self.root}admin"

    def static(self, name: str) -> str:
        return f"{self.root}static/{name}"

    def feed(self, kind: str) -> str:
        return f"{self.root}feed.{kind}"

    def category_feed(self, category: str, kind: str = "xml") -> str:
        return f"{self.root}feeds/category/{file_name(category)}.{kind}"

    def dossier_feed(self, key: str, kind: str = "xml") -> str:
        return f"{self.root}feeds/dossier/{file_name(key)}.{kind}"

    @property
    def search(self) -> str | None:
        """The search page, or None in a static site (it has no server to search with)."""
        return None if self.static_site else f"{self.root}search"

    @property
    def sources(self) -> str | None:
        """The sources' health page, or None in a static site."""
        return None if self.static_site else f"{self.root}sources"

    @property
    def api(self) -> str | None:
        return None if self.static_site else f"{self.root}api/openapi.json"


def file_name(key: str) -> str:
    """A file-system and URL safe name for an id, a category or a dossier key.

    Safe keys (ids are hex, dossier keys ASCII words) are unchanged; a key that had to be changed (accents,
    other scripts, spaces) gets 8 hex digits of its SHA-1, so two keys never share a file ('Путин', 'Пескова').
    """
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", key).lstrip(".") or "_"
    if safe == key:
        return safe
    return f"{safe}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:8]}"


def paragraphs(text: str) -> list[str]:
    """Plain article text as paragraphs: one per non-empty line."""
    return [line.strip() for line in (text or "").split("\n") if line.strip()]


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(counts: Sequence[int]) -> str:
    """Counts as a line of bar characters scaled to the largest ('▁▁█▄'); empty counts give the lowest bar."""
    top = max(counts, default=0)
    return "".join(SPARKS[round(n / top * (len(SPARKS) - 1)) if top else 0] for n in counts)


def outlet_name(article: Article) -> str:
    return article.site_name or article.outlet_key


def optional(obj: object, name: str) -> Any:
    """An attribute that later versions of the models may add (category, dossier...), or None."""
    return getattr(obj, name, None)


@lru_cache(maxsize=1)
def template_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        entity_kind=entity_kind,
        outlet_name=outlet_name,
        paragraphs=paragraphs,
        optional=optional,
        sparkline=sparkline,
    )
    return env


def render(template: str, *, t: Translator, links: Links, site_title: str, **context: Any) -> str:
    """One page as HTML. `switch_url` (the same page in the other UI language) is optional."""
    context.setdefault("switch_url", None)
    context.setdefault("q", "")
    context.setdefault("admin", False)
    page = template_env().get_template(template)
    return page.render(t=t, lang=t.lang, links=links, site_title=site_title, **context)
