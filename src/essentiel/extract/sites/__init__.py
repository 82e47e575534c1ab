"""Per-domain extraction rules, in the Fundus style: small declarative overrides keyed by outlet.

The generic extractor (trafilatura plus the rules in `essentiel.extract.cleanup`) should handle most
news sites. When one site needs help, add a `SiteRule` under its outlet key (the registrable domain,
``lemonde.fr`` for ``www.lemonde.fr`` or ``rss.lemonde.fr``, as returned by `essentiel.models.outlet_of`)::

    SITE_RULES["example-news.fr"] = SiteRule(
        prune_xpath=("//div[@class='related-box']",),          # removed from the HTML before extraction
        boilerplate=(re.compile(r"^Retrouvez .{0,80} sur notre appli$"),),  # whole text lines dropped
        title_sources=("og",),                                 # this site's headline is its og:title
    )

Then add a small fixture page for that site under tests/fixtures/extract/ and a test asserting what the
rule changes. Keep rules as data: no site-specific code paths in `article.py`. A rule needs a measured
gain on the dev split (`essentiel eval extraction --split dev`); say which pages showed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SiteRule:
    """Extra cleanup for one outlet: XPath expressions pruned from the page, regexes of lines to drop, and the
    headline sources to trust first."""

    prune_xpath: tuple[str, ...] = ()
    boilerplate: tuple[re.Pattern[str], ...] = ()
    # headline sources to trust first ("og", "h1", "jsonld", "twitter", "title"; `metadata.TITLE_SOURCES`)
    title_sources: tuple[str, ...] = ()


SITE_RULES: dict[str, SiteRule] = {}

# Headline = og:title. These sites write a second, different headline in their JSON-LD `headline` (and often
# their <h1>): an SEO or teaser wording ("Donald Trump: Warum Kritik an seinem Charakter so ineffektiv ist" vs
# og:title "Warum Kritik an Trumps Charakter so ineffektiv ist und verpufft"). The generic order trusts JSON-LD
# first, which is right for most sites (Hamburger Abendblatt, WAZ, Berliner Morgenpost, CBC, iNews, Wired...)
# and wrong for these. Each was chosen because og:title first matched the fundus gold on every dev page of the
# site and the generic order did not (dev pages: businessinsider.com 2, euronews.com 4, faz.net 2, n-tv.de 3,
# one each for the others); fundus title exact match, dev, 0.852 -> 0.978.
OG_TITLE_SITES = (
    "businessinsider.com",
    "euronews.com",
    "express.co.uk",
    "faz.net",
    "kicker.de",
    "merkur.de",
    "mirror.co.uk",
    "n-tv.de",
    "nrk.no",
    "rp-online.de",
    "standard.co.uk",
    "stern.de",
    "telegraph.co.uk",
    "thegatewaypundit.com",
    "vg.no",
    "zdfheute.de",
)
SITE_RULES.update({outlet: SiteRule(title_sources=("og",)) for outlet in OG_TITLE_SITES})


def rule_for(outlet: str) -> SiteRule | None:
    """The rule registered for `outlet` (e.g. 'lemonde.fr'), if any."""
    return SITE_RULES.get(outlet)
