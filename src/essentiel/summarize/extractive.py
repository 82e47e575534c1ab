"""Extractive "l'essentiel": the story told in 2-3 sentences taken verbatim from its articles.

Candidates are the sentence units (`units.py`: whole sentences, a quotation over several sentences as one) of
each article's lead (a professionally written summary, preferred) and of the opening of its text, cleaned
(`clean.py`: datelines stripped; dangling openers, speakers known only by a pronoun and half quotes skipped).
Each is scored by centrality (cosine to the story centroid, plus LexRank over the candidates' similarity
graph), a position bonus (leads and first sentences first), cross-outlet support (other outlets saying the
same), the share of the headlines' words it carries, its length (the budget well used) and, as a penalty, the
share of it inside quotation marks (the reporter's account before the quotes);
sentences are then picked by maximal marginal relevance within the word budget, skipping any sentence too
close to one already picked in meaning (embeddings) or in words (content-word overlap), and put back in
reading order. Every sentence is a verbatim substring of its article's lead or text.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from essentiel.models import Article, Story, Summary, SummarySentence
from essentiel.stories.cluster import embedding_text
from essentiel.stories.embed import Embedder, sentence_embedder
from essentiel.summarize.clean import (
    content_words,
    has_broken_quote,
    is_dangling,
    lexical_overlap,
    quoted_share,
    strip_dateline,
)
from essentiel.summarize.units import sentence_units

logger = logging.getLogger(__name__)

DEFAULT_MAX_WORDS = 60

_WORD = re.compile(r"\w+")
_URL = re.compile(r"https?://|www\.|\b\w+\.(?:com|fr|org|net|io)\b", re.IGNORECASE)
_JUNK = re.compile(
    r"lire aussi|à lire|a lire|voir aussi|read more|related:|sign up|subscribe|abonnez|newsletter|cookies?\b"
    r"|publicité|cliquez|click here|©|crédit photo|photo ?:|vidéo ?:|video ?:|\bAFP Photo\b|getty images",
    re.IGNORECASE,
)
_END = re.compile(r"[.!?…»\"”)]$")
_VERB_SUFFIX = re.compile(r"\w{2,}(?:ait|aient|ent|é|ée|és|ées|er|ir|re|ed|ing)$", re.IGNORECASE)
_VERB_WORDS = frozenset(
    [
        "est",
        "sont",
        "ont",
        "sera",
        "seront",
        "été",
        "était",
        "étaient",
        "fut",
        "va",
        "vont",
        "peut",
        "peuvent",
        "doit",
        "doivent",
        "fait",
        "font",
        "dit",
        "a",
        "y",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "may",
        "might",
        "must",
        "said",
        "says",
        "told",
        "do",
        "does",
        "did",
    ]
)


@dataclass(frozen=True)
class Candidate:
    text: str
    article: str
    language: str
    outlet: str
    article_rank: int  # the article's place in the story (0 = most representative)
    position: int  # the sentence's place in its article (lead sentences first)
    from_lead: bool
    words: int
    terms: frozenset[str] = frozenset()
    quoted: float = 0.0  # share of the sentence inside quotation marks


@dataclass(frozen=True)
class Focus:
    """The story's headlines: a sentence saying what they say is what the story is about."""

    terms: frozenset[str]
    vector: np.ndarray | None = None  # the titles' mean embedding (only when title_weight is set)


def is_junk(sentence: str) -> bool:
    """Too short, a link or a teaser, shouting, no verb, or not a finished sentence."""
    words = _WORD.findall(sentence)
    if len(words) < 6 or _URL.search(sentence) or _JUNK.search(sentence):
        return True
    letters = [c for c in sentence if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        return True
    if sentence[0].isalpha() and sentence[0].islower():
        return True  # a fragment from a bad split
    if sentence.rstrip().endswith(":") or not _END.search(sentence.rstrip()):
        return True
    return not any(w.lower() in _VERB_WORDS or _VERB_SUFFIX.match(w) for w in words)


def _article_candidates(article: Article, rank: int, text_sentences: int) -> list[Candidate]:
    lang = (article.language or "").lower()[:2]
    lead = [(s, True) for s in sentence_units(article.lead, lang)]
    body = [(s, False) for s in sentence_units(article.text, lang)[:text_sentences]]
    out = []
    for position, (raw, from_lead) in enumerate(lead + body):
        sentence = strip_dateline(raw)
        if is_junk(sentence) or is_dangling(sentence) or has_broken_quote(sentence):
            continue
        words = len(_WORD.findall(sentence))
        terms = content_words(sentence)
        out.append(
            Candidate(
                sentence,
                article.id,
                lang,
                article.outlet_key,
                rank,
                position,
                from_lead,
                words,
                terms,
                quoted_share(sentence),
            )
        )
    return out


def lexrank(vectors: np.ndarray, damping: float = 0.85, iterations: int = 50) -> np.ndarray:
    """Continuous LexRank (Erkan & Radev, 2004): PageRank over the cosine graph, scaled so the mean is 1."""
    n = len(vectors)
    if n < 2:
        return np.ones(n)
    sim = np.clip(vectors @ vectors.T, 0.0, None)
    np.fill_diagonal(sim, 0.0)
    rows = sim.sum(axis=1, keepdims=True)
    rows[rows == 0] = 1.0
    transition = sim / rows
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        rank = (1 - damping) / n + damping * (transition.T @ rank)
    return np.asarray(rank * n)


def _ordered_articles(story: Story, articles: Sequence[Article]) -> list[Article]:
    by_id = {a.id: a for a in articles}
    ordered = [by_id[i] for i in story.article_ids if i in by_id]
    seen = {a.id for a in ordered}
    return ordered + [a for a in articles if a.id not in seen]


def _target_language(ordered: Sequence[Article], language: str | None) -> str:
    if language:
        return language.lower()[:2]
    langs = [(a.language or "").lower()[:2] for a in ordered if a.language]
    return Counter(langs).most_common(1)[0][0] if langs else ""


@dataclass
class ExtractiveSummarizer:
    """The default summariser. Every weight is documented in docs/ranking.md (tuned on OrangeSum dev only)."""

    embedder: Embedder | None = None
    max_sentences: int = 3
    max_articles: int = 12
    text_sentences: int = 12  # sentences taken from the opening of each text
    lead_bonus: float = 0.15  # added to the first lead sentence, decreasing with position
    position_bonus: float = 0.1  # added to the first text sentence, decreasing with position
    support_weight: float = 0.15  # times the share of other outlets carrying a similar sentence
    support_similarity: float = 0.6
    redundancy: float = 0.8  # a sentence this similar to one already picked is skipped
    lexical_redundancy: float = 0.6  # ... and one sharing this share of its content words
    lexrank_weight: float = 0.05  # times (LexRank score - 1): above-average centrality in the sentence graph
    title_weight: float = 0.0  # times the cosine to the headlines (mean of the top articles' titles)
    title_words_weight: float = 0.15  # times the share of the headlines' content words the sentence carries
    position_scale: float = 2.0  # text position p gets position_bonus / (1 + p / position_scale)
    length_weight: float = 0.05  # times words / max_words: a longer sentence uses the budget better
    quote_weight: float = (
        0.2  # times the share of the sentence inside quotation marks (a reporter's words first)
    )
    headlines: int = 3  # titles of the most representative articles that make the headline focus
    mmr_lambda: float = 0.7

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray((self.embedder or sentence_embedder()).encode(list(texts)), dtype=np.float64)

    def candidates(self, ordered: Sequence[Article], target: str) -> list[Candidate]:
        pool: list[Candidate] = []
        seen: set[str] = set()
        for rank, article in enumerate(ordered[: self.max_articles]):
            for cand in _article_candidates(article, rank, self.text_sentences):
                if cand.text not in seen:
                    seen.add(cand.text)
                    pool.append(cand)
        preferred = [c for c in pool if c.language == target]
        return preferred or pool

    def scores(
        self,
        cands: Sequence[Candidate],
        vectors: np.ndarray,
        centroid: np.ndarray,
        focus: Focus | None = None,
        max_words: int = DEFAULT_MAX_WORDS,
    ) -> np.ndarray:
        centrality = vectors @ centroid
        bonus = np.array(
            [
                self.lead_bonus / (1.0 + c.position) + 0.5 * self.position_bonus
                if c.from_lead
                else self.position_bonus / (1.0 + c.position / self.position_scale)
                for c in cands
            ]
        )
        outlets = sorted({c.outlet for c in cands})
        support = np.zeros(len(cands))
        if len(outlets) > 1:
            close = (vectors @ vectors.T) >= self.support_similarity
            for i, c in enumerate(cands):
                others = {cands[int(j)].outlet for j in np.flatnonzero(close[i])} - {c.outlet}
                support[i] = len(others) / (len(outlets) - 1)
        graph = self.lexrank_weight * (lexrank(vectors) - 1.0)
        headline = np.zeros(len(cands))
        if focus is not None:
            headline = self.title_words_weight * np.array(
                [lexical_overlap(c.terms, focus.terms) for c in cands]
            )
            if focus.vector is not None:
                headline += self.title_weight * (vectors @ focus.vector)
        length = self.length_weight * np.array([min(c.words / max(max_words, 1), 1.0) for c in cands])
        quoted = self.quote_weight * np.array([c.quoted for c in cands])
        return np.asarray(
            centrality + graph + bonus + self.support_weight * support + headline + length - quoted
        )

    def select(
        self, cands: Sequence[Candidate], vectors: np.ndarray, scores: np.ndarray, max_words: int
    ) -> list[int]:
        chosen: list[int] = []
        budget = max_words
        while len(chosen) < self.max_sentences:
            best, best_value = -1, -np.inf
            for i, cand in enumerate(cands):
                if i in chosen or cand.words > budget:
                    continue
                overlap = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
                if overlap >= self.redundancy or any(
                    lexical_overlap(cand.terms, cands[j].terms) >= self.lexical_redundancy for j in chosen
                ):
                    continue
                value = self.mmr_lambda * scores[i] - (1.0 - self.mmr_lambda) * overlap
                if value > best_value + 1e-12:
                    best, best_value = i, value
            if best < 0:
                break
            chosen.append(best)
            budget -= cands[best].words
        return chosen

    def focus(self, top: Sequence[Article], target: str) -> Focus | None:
        """What the headlines of the most representative articles say: their mean embedding and content words."""
        titles = [a.title for a in top if a.title.strip() and (a.language or "").lower()[:2] == target]
        titles = titles or [a.title for a in top if a.title.strip()]
        if not titles or not (self.title_weight or self.title_words_weight):
            return None
        vector = None
        if self.title_weight:
            vector = self._embed(titles).mean(axis=0)
            vector /= np.linalg.norm(vector) or 1.0
        return Focus(frozenset().union(*(content_words(t) for t in titles)), vector)

    def headline(
        self,
        story: Story,
        ordered: Sequence[Article],
        target: str,
        doc_vectors: np.ndarray,
        centroid: np.ndarray,
    ) -> str:
        """The title of the article closest to the story centroid in the target language, kicker apart."""
        titled = [i for i, a in enumerate(ordered) if a.title.strip()]
        preferred = [i for i in titled if (ordered[i].language or "").lower()[:2] == target] or titled
        if not preferred:
            return story.title
        best = max(preferred, key=lambda i: (round(float(doc_vectors[i] @ centroid), 6), -i))
        return title_without_kicker(ordered[best])

    def summarize(
        self,
        story: Story,
        articles: Sequence[Article],
        *,
        language: str | None = None,
        max_words: int = DEFAULT_MAX_WORDS,
    ) -> Summary:
        ordered = _ordered_articles(story, articles)
        target = _target_language(ordered, language)
        cands = self.candidates(ordered, target)
        doc_vectors = self._embed([embedding_text(a) for a in ordered[: self.max_articles]])
        centroid = doc_vectors.mean(axis=0) if len(doc_vectors) else np.zeros(0)
        centroid /= np.linalg.norm(centroid) or 1.0
        title = self.headline(story, ordered[: self.max_articles], target, doc_vectors, centroid)
        if not cands:
            return Summary(story_id=story.id, title=title, sentences=())
        vectors = self._embed([c.text for c in cands])
        focus = self.focus(ordered[: self.headlines], target)
        chosen = self.select(
            cands, vectors, self.scores(cands, vectors, centroid, focus, max_words), max_words
        )
        chosen.sort(key=lambda i: (not cands[i].from_lead, cands[i].position, cands[i].article_rank))
        sentences = tuple(SummarySentence(text=cands[i].text, article=cands[i].article) for i in chosen)
        logger.debug("summary of %s: %d of %d candidates", story.id, len(sentences), len(cands))
        return Summary(story_id=story.id, title=title, sentences=sentences)


def title_without_kicker(article: Article) -> str:
    """The headline without its kicker ("Guerre en Ukraine : ..."), whether given apart or in the title."""
    from essentiel.topics import split_kicker

    title = " ".join(article.title.split())
    kicker = article.kicker.strip().rstrip(":").strip()
    if kicker and title.lower().startswith(kicker.lower()):
        title = title[len(kicker) :].lstrip(" :-–—|") or title
    else:
        title = split_kicker(title)[1]
    return title[:1].upper() + title[1:]


def summarize_story(
    story: Story,
    articles: Sequence[Article],
    *,
    language: str | None = None,
    max_words: int = DEFAULT_MAX_WORDS,
    embedder: Embedder | None = None,
) -> Summary:
    """The default extractive summary of one story."""
    return ExtractiveSummarizer(embedder=embedder).summarize(
        story, articles, language=language, max_words=max_words
    )
