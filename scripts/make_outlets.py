"""Regenerate src/essentiel/data/outlets.json from Kagi News' public media list (MIT, kagi-kite).

`media_data.json` lists organisations with their domains. An organisation is sometimes one outlet under
several domains (BBC News: bbc.co.uk, bbc.com, bbci.co.uk) and sometimes a press group (Groupe Le Monde:
lemonde.fr, telerama.fr, nouvelobs.com...), whose titles are separate newsrooms and must count as separate
outlets. So domains of one organisation are merged only when their names match: the same first label
(canalplus.fr, canalplus.com) or one a prefix of the other (bbc, bbci). The outlet key is the first such
domain in the list. The language of a domain is the most common `source_language` of its feeds in
`feeds_flat.tsv`; the country is the ISO 3166 code of the organisation's country (babel's English names).

Run: python scripts/make_outlets.py ../shared/data/sources/kagi-kite > src/essentiel/data/outlets.json
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from babel import Locale
from publicsuffixlist import PublicSuffixList

COUNTRY_ALIASES = {
    "The Netherlands": "NL",
    "Czech Republic": "CZ",
    "Hong Kong": "HK",
    "Palestine": "PS",
    "Turkey": "TR",
    "Saint Kitts and Nevis": "KN",
}
PSL = PublicSuffixList()


def registrable(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    host = host[4:] if host.startswith("www.") else host
    return PSL.privatesuffix(host) or host


def label(domain: str) -> str:
    suffix = PSL.publicsuffix(domain) or ""
    return domain[: -len(suffix) - 1] if suffix and domain.endswith("." + suffix) else domain.split(".")[0]


def same_brand(a: str, b: str) -> bool:
    x, y = sorted((label(a), label(b)), key=len)
    return len(x) >= 3 and y.startswith(x)


def brands(domains: list[str]) -> list[list[str]]:
    """The domains grouped by brand, each group in list order."""
    groups: list[list[str]] = []
    for domain in domains:
        group = next((g for g in groups if any(same_brand(domain, d) for d in g)), None)
        if group is None:
            groups.append([domain])
        elif domain not in group:
            group.append(domain)
    return groups


def languages(feeds_tsv: Path) -> dict[str, str]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    with feeds_tsv.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            host = urlsplit(row["feed_url"]).hostname or ""
            if host and row["source_language"]:
                counts[registrable(host)][row["source_language"].split("-")[0].lower()] += 1
    found = {}
    for domain, count in counts.items():
        (top, times), total = count.most_common(1)[0], sum(count.values())
        if times >= 0.8 * total:  # Kagi's language is its category's: a domain in many is left unknown
            found[domain] = top
    return found


def main(folder: Path) -> None:
    media = json.loads((folder / "media_data.json").read_text(encoding="utf-8"))
    language = languages(folder / "feeds_flat.tsv")
    codes = {name: code for code, name in Locale("en").territories.items() if len(code) == 2}
    codes.update(COUNTRY_ALIASES)
    outlets: dict[str, dict[str, str]] = {}
    for org in media:
        domains = [registrable(d) for d in org.get("domains", []) if d.strip()]
        groups = brands(list(dict.fromkeys(domains)))
        country = codes.get(org.get("country", "").strip(), "").lower()
        for group in groups:
            for domain in group:
                if domain in outlets:  # listed under two organisations: the first one wins
                    continue
                entry = {"outlet": group[0]}
                if len(groups) == 1:
                    entry["name"] = org["organization"].strip()
                else:
                    entry["group"] = org["organization"].strip()
                if country:
                    entry["country"] = country
                if domain in language:
                    entry["language"] = language[domain]
                outlets[domain] = entry
    lines = [
        f"{json.dumps(domain)}: {json.dumps(entry, ensure_ascii=False, sort_keys=True)}"
        for domain, entry in sorted(outlets.items())
    ]
    sys.stdout.write("{\n" + ",\n".join(lines) + "\n}\n")  # one outlet a line: readable diffs


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/sources/kagi-kite"))
