"""The optional LLM summariser against a fake OpenAI-compatible server on the loopback interface."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from essentiel.models import Article, Story
from essentiel.summarize import ExtractiveSummarizer
from essentiel.summarize.llm import LLMSummarizer, summarizer_from_settings, supported

FR = Article(
    id="fr-1",
    url="https://www.lemonde.fr/a",
    title="Antony Blinken en visite surprise à Kiev",
    lead="Le secrétaire d'État américain est arrivé mardi à Kiev pour une visite surprise.",
    text=(
        "Antony Blinken doit annoncer une nouvelle aide militaire de deux milliards de dollars.\n"
        "Il a rencontré le président Volodymyr Zelensky dans l'après-midi."
    ),
    language="fr",
    outlet="lemonde.fr",
)
EN = Article(
    id="en-1",
    url="https://www.reuters.com/b",
    title="Blinken visits Kyiv",
    text="Secretary of State Antony Blinken arrived in Kyiv on Tuesday with 2 billion dollars in new aid.",
    language="en",
    outlet="reuters.com",
)
STORY = Story("s-1", ("fr-1", "en-1"), FR.title)


class HashEmbedder:
    """Deterministic stand-in for the sentence encoder, so the fallback needs no model."""

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                rows[i, sum(map(ord, word)) % 64] += 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return rows / norms


@dataclass
class FakeLLM:
    reply: str = ""
    status: int = 200
    bodies: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    state = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.bodies.append({"path": self.path, **json.loads(self.rfile.read(length))})
            answer = {"choices": [{"message": {"role": "assistant", "content": state.reply}}]}
            data = json.dumps(answer).encode() if self.path == "/v1/chat/completions" else b"{}"
            self.send_response(state.status if self.path == "/v1/chat/completions" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _summarizer(url: str) -> LLMSummarizer:
    return LLMSummarizer(url=url, model="tiny", timeout=5, fallback=ExtractiveSummarizer(HashEmbedder()))


def _reply(*sentences: tuple[str, int]) -> str:
    return (
        "```json\n" + json.dumps({"sentences": [{"text": t, "article": n} for t, n in sentences]}) + "\n```"
    )


def test_supported_sentences_are_kept_with_their_article(fake_llm: FakeLLM) -> None:
    fake_llm.reply = _reply(
        ("Antony Blinken est arrivé mardi à Kiev pour une visite surprise.", 1),
        ("Il doit annoncer une aide militaire de deux milliards de dollars.", 1),
    )
    summary = _summarizer(fake_llm.url).summarize(STORY, [FR, EN], language="fr", max_words=60)
    assert [s.article for s in summary.sentences] == ["fr-1", "fr-1"]
    assert summary.sentences[0].text.startswith("Antony Blinken est arrivé")
    body = fake_llm.bodies[0]
    assert body["model"] == "tiny" and body["path"] == "/v1/chat/completions"
    prompt = body["messages"][1]["content"]
    assert prompt.startswith("[1] Antony Blinken") and "Kyiv" not in prompt  # only the reader's language
    assert "French" in body["messages"][0]["content"]


def test_hallucinated_sentence_is_dropped(fake_llm: FakeLLM) -> None:
    fake_llm.reply = _reply(
        ("Antony Blinken est arrivé mardi à Kiev pour une visite surprise.", 1),
        ("Le pape François a condamné l'invasion depuis le Vatican samedi soir.", 1),  # in no article
        (
            "Blinken doit annoncer une aide de 5 milliards de dollars.",
            1,
        ),  # a number the article does not state
        ("Le président Zelensky a reçu Blinken.", 7),  # cites an article that does not exist
    )
    summary = _summarizer(fake_llm.url).summarize(STORY, [FR, EN], language="fr")
    assert [s.text for s in summary.sentences] == [
        "Antony Blinken est arrivé mardi à Kiev pour une visite surprise."
    ]


def test_falls_back_to_extractive_on_errors(fake_llm: FakeLLM) -> None:
    extractive = ExtractiveSummarizer(HashEmbedder()).summarize(STORY, [FR, EN], language="fr")
    for status, reply in (
        (500, "boom"),
        (200, "I cannot answer in JSON."),
        (200, _reply(("Pas de source.", 1))),
    ):
        fake_llm.status, fake_llm.reply = status, reply
        assert _summarizer(fake_llm.url).summarize(STORY, [FR, EN], language="fr") == extractive
    unreachable = _summarizer("http://127.0.0.1:9").summarize(STORY, [FR, EN], language="fr")
    assert unreachable == extractive


def test_word_budget_and_endpoint(fake_llm: FakeLLM) -> None:
    fake_llm.reply = _reply(
        ("Antony Blinken est arrivé mardi à Kiev pour une visite surprise.", 1),
        ("Antony Blinken doit annoncer une nouvelle aide militaire de deux milliards de dollars.", 1),
    )
    summary = _summarizer(fake_llm.url + "/v1/").summarize(STORY, [FR, EN], language="fr", max_words=15)
    assert len(summary.sentences) == 1
    assert LLMSummarizer(url="http://h:1/v1").endpoint() == "http://h:1/v1/chat/completions"


def test_support_check_and_settings() -> None:
    assert supported("Blinken arrived in Kyiv on Tuesday.", EN)
    assert not supported("Blinken arrived in Kyiv on Tuesday with 3 billion dollars.", EN)
    assert not supported("The summit in Geneva ended without agreement.", EN)
    assert isinstance(summarizer_from_settings(""), ExtractiveSummarizer)
    assert isinstance(summarizer_from_settings("http://127.0.0.1:8080", "m"), LLMSummarizer)
