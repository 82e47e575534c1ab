"""Per-domain extraction rules (none yet).

The generic extractor (trafilatura plus the rules in `essentiel.extract.cleanup`) should handle most
news sites. When one site needs help, add a `SiteRule` under its outlet key (the registrable domain,
``lemonde.fr`` for ``www.lemonde.fr`` or ``rss.lemonde.fr``, as returned by `essentiel.models.outlet_of`)::

    SITE_RULES["example-news.fr"] = SiteRule(
        prune_xpath=("//div[@class='related-box']",),          # removed from the HTML before extraction
        boilerplate=(re.compile(r"^Retrouvez .{0,80} sur notre appli$"),),  # whole text lines dropped
    )

Then add a small fixture page for that site under tests/fixtures/extract/ and a test asserting what the
rule removes. Keep rules as data: no site-specific code paths in `article.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SiteRule:
    """Extra cleanup for one outlet: XPath expressions pruned from the page, regexes of lines to drop."""

    prune_xpath: tuple[str, ...] = ()
    boilerplate: tuple[re.Pattern[str], ...] = ()


SITE_RULES: dict[str, SiteRule] = {}


def rule_for(outlet: str) -> SiteRule | None:
    """The rule registered for `outlet` (e.g. 'lemonde.fr'), if any."""
    return SITE_RULES.get(outlet)
