"""Sentence units for the essentiel: whole sentences, each a verbatim substring of the text it comes from.

`nlp.split_sentences` splits paragraph by paragraph. Two things it leaves that a summary cannot use:

- **glued paragraphs**: text whose paragraphs were joined without a space ("...parfums.La DGCCRF estime...")
  gives one long "sentence" holding two; a sentence end directly followed by a capital is cut there, and so
  is a sentence end followed by a quotation opening (when no quotation is open before it).
- **quotations over several sentences**: `"C'est désolant. Ce qui se passe n'est pas respectueux", dit-il.`
  comes out as a piece opening a quote and a piece closing it, each unusable alone (and the second one, quote
  mark aside, reads as the writer's own claim); such pieces are joined back into one unit, as is a piece that
  ends on a comma or is followed by one starting in lower case (`"Qui a fait ça?", demandait-il.`).
"""

from __future__ import annotations

import re

from essentiel.nlp import split_sentences

MAX_JOINED = 4  # pieces joined into one unit at most

_GLUED = re.compile(r"(?<=[a-zà-ÿ0-9)\]%][.!?])(?=[A-ZÀ-Ý«])|(?<=[.!?][\"»”])(?=[A-ZÀ-Ý])")
_QUOTE_OPENS = re.compile(r"(?<=[.!?…])\s+(?=[\"«“]\s*[A-ZÀ-Ý])")  # "...Durand. "Qui a fait ça ?", ..."
_FINISHED = re.compile(r"[.!?…](?:\s*[\"»”')\]])*$")


def _quote_open(text: str) -> bool:
    return text.count("«") > text.count("»") or text.count("“") > text.count("”") or text.count('"') % 2 == 1


def _spans(paragraph: str, language: str | None) -> list[tuple[int, int]]:
    """Sentence spans of one paragraph, glued sentence ends cut."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in split_sentences(paragraph, language):
        start = paragraph.find(sentence, cursor)
        if start < 0:  # never expected: split_sentences returns stripped slices of the paragraph
            continue
        end = start + len(sentence)
        inner = [m.start() for m in _GLUED.finditer(sentence)]
        inner += [
            m.end()
            for m in _QUOTE_OPENS.finditer(sentence)
            if not _quote_open(paragraph[: start + m.start()])
        ]
        cuts = [start] + [start + i for i in sorted(set(inner))] + [end]
        spans.extend((a, b) for a, b in zip(cuts, cuts[1:], strict=False) if paragraph[a:b].strip())
        cursor = end
    return spans


def _joined(paragraph: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Pieces of one quotation or of one cut sentence joined back (at most MAX_JOINED pieces)."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        start, end = spans[i]
        j = i + 1
        while j < len(spans) and j - i < MAX_JOINED:
            unit = paragraph[start:end].rstrip()
            following = paragraph[spans[j][0] : spans[j][1]].lstrip('"«“ ')
            if not (_quote_open(unit) or not _FINISHED.search(unit) or following[:1].islower()):
                break
            end = spans[j][1]
            j += 1
        if _quote_open(paragraph[start:end]) and j - i > 1:  # never closed: keep the pieces as they were
            out.extend(spans[i:j])
        else:
            out.append((start, end))
        i = j
    return out


def sentence_units(text: str, language: str | None = None) -> list[str]:
    """The sentences of `text` for a summary, each a verbatim substring of `text` (no line break inside)."""
    units: list[str] = []
    for paragraph in text.splitlines():
        if paragraph.strip():
            units.extend(paragraph[a:b].strip() for a, b in _joined(paragraph, _spans(paragraph, language)))
    return units
