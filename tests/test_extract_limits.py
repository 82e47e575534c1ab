"""Bad and extreme input: every case returns an Article or raises ParseError naming the source, never hangs.

No timing assertions: each test only checks that the call comes back with the right result.
"""

from __future__ import annotations

import pytest

from essentiel.errors import ParseError
from essentiel.extract import article as article_module
from essentiel.extract.article import decode_html, extract_article

SENTENCE = (
    "Le conseil municipal a voté mardi soir le budget de la ville pour l'année {n}, après un long débat."
)


def page(body: str, head: str = "<title>Le conseil municipal vote le budget de la ville</title>") -> str:
    return (
        f"<!doctype html><html lang='fr'><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"
    )


def paragraphs(count: int) -> str:
    return "".join(f"<p>{SENTENCE.format(n=n)}</p>" for n in range(count))


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00" * 1000, bytes(range(256)) * 4000, b"\x1f\x8b\x08\x00" + bytes(range(256)) * 100],
    ids=["empty", "nul-bytes", "binary-1mb", "gzip-magic"],
)
def test_empty_and_binary_input_raise_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError, match=r"^upload\.bin: no article text found$"):
        extract_article(data, source="upload.bin")


def test_fifty_megabytes_of_html_are_cut_and_still_give_the_article() -> None:
    body = "<article>" + paragraphs(1) + "<div>" + "<span>x</span>" * 3_600_000 + "</div></article>"
    html = page(body).encode()
    assert len(html) > 50_000_000
    result = extract_article(html, "https://example.org/big", source="big")
    assert result.text.startswith(SENTENCE.format(n=0))
    assert result.title == "Le conseil municipal vote le budget de la ville"


def test_pages_over_the_limit_are_cut_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(article_module, "MAX_HTML_CHARS", 3000)
    html = page("<article>" + paragraphs(200) + "</article>")
    result = extract_article(html)
    assert SENTENCE.format(n=1) in result.text
    assert SENTENCE.format(n=199) not in result.text  # beyond the first 3000 characters


@pytest.mark.parametrize("depth", [100_000, 1_000_000])
def test_deeply_nested_markup_gives_a_result_or_a_parse_error(depth: int) -> None:
    html = page("<div>" * depth + paragraphs(5) + "</div>" * depth)
    try:
        result = extract_article(html, source="nested")
    except ParseError as error:
        assert str(error) == "nested: no article text found"
    else:
        assert SENTENCE.format(n=0) in result.text


def test_deep_nesting_after_the_article_keeps_the_article() -> None:
    html = page("<article>" + paragraphs(6) + "</article>" + "<div>" * 100_000 + "fin" + "</div>" * 100_000)
    result = extract_article(html, source="nested-after")
    assert SENTENCE.format(n=0) in result.text


def test_broken_utf8_is_replaced_not_raised() -> None:
    html = page("<article>" + paragraphs(4) + "</article>").encode()
    broken = html.replace("année".encode(), b"ann\xe9e", 2)  # two Latin-1 bytes inside UTF-8
    result = extract_article(broken)
    assert "ann\ufffde" in result.text
    assert result.language == "fr"


def test_mostly_undecodable_bytes_raise_parse_error() -> None:
    noisy = b"<html><body><p>" + b"\xff\xfe\xfd" * 5000 + b"</p></body></html>"
    with pytest.raises(ParseError):
        extract_article(noisy, "https://example.org/noise")


def test_utf8_bytes_declared_as_latin1_are_read_as_utf8() -> None:
    html = page(paragraphs(1), head="<meta charset='iso-8859-1'><title>x</title>").encode()
    assert "année" in decode_html(html)
    assert "année" in decode_html(html, "windows-1252")
    assert "année" in decode_html("<p>année</p>".encode("latin-1"), "iso-8859-1")  # real Latin-1 stays so


def test_script_without_spaces_is_an_article() -> None:
    sentence = "東京都は十三日、新しい防災計画を発表し、首都直下地震への備えを強化する方針を示した。"
    html = "<html lang='ja'><head><title>東京都が新しい防災計画</title></head><body><article>"
    html += "".join(f"<p>{sentence}{n}</p>" for n in range(5)) + "</article></body></html>"
    result = extract_article(html)
    assert sentence in result.text
    assert result.language == "ja"
