"""Optional LLM summariser for a local OpenAI-compatible server (llama.cpp, Ollama, vLLM): `/v1/chat/completions`.

The model gets the story's articles, numbered (those in the reader's language when there are any, so that the
check below compares like with like), and must answer in JSON: `{"sentences": [{"text": ..., "article": n}]}`,
citing for each sentence the article its facts come from. A sentence is kept only when it is supported by the
cited article: at least `min_support` of its content words and every number it states appear in that
article's title, lead or text (accents and case folded). Unsupported (hallucinated) sentences are dropped and
logged. Any error (network, timeout, bad JSON, nothing supported) gives the extractive summary instead.
Nothing leaves the machine unless `summary.llm_url` points elsewhere; no cloud service is built in.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from essentiel.models import Article, Story, Summary, SummarySentence
from essentiel.summarize.base import Summarizer
from essentiel.summarize.clean import STOPWORDS
from essentiel.summarize.extractive import DEFAULT_MAX_WORDS, ExtractiveSummarizer

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_LANGUAGE_NAMES = {"fr": "French", "en": "English", "de": "German", "es": "Spanish", "it": "Italian"}
PROMPT = (
    "You write the essentiel of a news story: {sentences} short factual sentences in {language}, at most "
    "{words} words in all, using only facts stated in the numbered articles below. Do not add opinions or "
    "facts from elsewhere. Answer with JSON only, no other text: "
    '{{"sentences": [{{"text": "...", "article": <the number of the article the sentence comes from>}}]}}'
)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def _content(text: str) -> set[str]:
    return {w for w in _WORD.findall(_fold(text)) if len(w) > 2 and not w.isdigit() and w not in STOPWORDS}


def _numbers(text: str) -> set[str]:
    return {n.replace(",", ".") for n in _NUMBER.findall(text)}


def supported(sentence: str, article: Article, min_support: float = 0.6) -> bool:
    """The sentence's content words are mostly in the article and every number it states is there too."""
    source = f"{article.title}\n{article.lead}\n{article.text}"
    words, known = _content(sentence), _content(source)
    if not words or len(words & known) / len(words) < min_support:
        return False
    return _numbers(sentence) <= _numbers(source)


def _json_object(content: str) -> Any:
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the model's answer")
    return json.loads(content[start : end + 1])


@dataclass
class LLMSummarizer:
    """A `Summarizer` backed by a local chat-completions server, checked sentence by sentence."""

    url: str  # the server's base URL, e.g. http://127.0.0.1:8080 (with or without /v1)
    model: str = ""
    timeout: float = 60.0
    fallback: Summarizer = field(default_factory=ExtractiveSummarizer)
    max_articles: int = 6
    article_chars: int = 1500
    max_sentences: int = 3
    min_support: float = 0.6

    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return (
            base if base.endswith("/chat/completions") else base.removesuffix("/v1") + "/v1/chat/completions"
        )

    def _articles(self, story: Story, articles: Sequence[Article], language: str | None) -> list[Article]:
        by_id = {a.id: a for a in articles}
        ordered = [by_id[i] for i in story.article_ids if i in by_id] or list(articles)
        code = (language or "").lower()[:2]
        same = [a for a in ordered if (a.language or "").lower()[:2] == code]
        return (same or ordered)[: self.max_articles]

    def _request(self, chosen: Sequence[Article], language: str | None, max_words: int) -> dict[str, Any]:
        name = _LANGUAGE_NAMES.get((language or "").lower()[:2], "the articles' language")
        numbered = "\n\n".join(
            f"[{n}] {a.title}\n{a.lead}\n{a.text[: self.article_chars]}".strip()
            for n, a in enumerate(chosen, 1)
        )
        system = PROMPT.format(sentences="2 or 3", language=name, words=max_words)
        return {
            "model": self.model,
            "temperature": 0,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": numbered}],
        }

    def _ask(self, payload: dict[str, Any]) -> list[tuple[str, int]]:
        response = httpx.post(self.endpoint(), json=payload, timeout=self.timeout)
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        items = _json_object(str(content))["sentences"]
        return [(" ".join(str(i["text"]).split()), int(i["article"])) for i in items]

    def summarize(
        self,
        story: Story,
        articles: Sequence[Article],
        *,
        language: str | None = None,
        max_words: int = DEFAULT_MAX_WORDS,
    ) -> Summary:
        chosen = self._articles(story, articles, language)
        extractive = self.fallback.summarize(story, articles, language=language, max_words=max_words)
        if not chosen:
            return extractive
        try:
            answer = self._ask(self._request(chosen, language, max_words))
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            logger.warning("LLM summary of %s failed (%s): extractive summary used", story.id, exc)
            return extractive
        kept: list[SummarySentence] = []
        used = 0
        for text, number in answer:
            article = chosen[number - 1] if 1 <= number <= len(chosen) else None
            if article is None or not text or not supported(text, article, self.min_support):
                logger.info("LLM summary of %s: unsupported sentence dropped: %r", story.id, text[:80])
                continue
            words = len(_WORD.findall(text))
            if used + words > max_words or len(kept) >= self.max_sentences:
                break
            kept.append(SummarySentence(text=text, article=article.id))
            used += words
        if not kept:
            logger.warning("LLM summary of %s: no supported sentence, extractive summary used", story.id)
            return extractive
        return Summary(story_id=story.id, title=extractive.title, sentences=tuple(kept))


def summarizer_from_settings(url: str, model: str = "", timeout: float = 60.0) -> Summarizer:
    """The LLM summariser when `summary.llm_url` is set, else the extractive one."""
    return LLMSummarizer(url=url, model=model, timeout=timeout) if url.strip() else ExtractiveSummarizer()
