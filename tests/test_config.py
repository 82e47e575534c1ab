"""Configuration: defaults, the TOML file, environment overrides and one-line errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from essentiel.config import SETTINGS, default_sources, load_config, render_config
from essentiel.errors import ConfigError


def test_rendered_config_loads_back_with_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "essentiel.toml"
    path.write_text(render_config(), encoding="utf-8")
    config = load_config(path, env={})
    assert all(config[s.key] == s.default for s in SETTINGS)
    assert len(config.sources) == len(default_sources()) >= 30
    assert config.database == tmp_path / "essentiel.db"


def test_default_sources_are_real_french_and_international_feeds() -> None:
    found = default_sources()
    languages = {s.language for s in found}
    assert {"fr", "en"} <= languages
    assert sum(s.language == "fr" for s in found) >= 20
    assert all(s.url.startswith("https://") and s.category for s in found)
    assert any(not s.independent for s in found), "wire services are marked"
    assert len({s.url for s in found}) == len(found)


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "e.toml"
    path.write_text("[edition]\nsize = 4\n", encoding="utf-8")
    env = {
        "ESSENTIEL_EDITION_SIZE": "7",
        "ESSENTIEL_GENERAL_LANGUAGES": '["en", "fr"]',
        "ESSENTIEL_FETCH_USER_AGENT": "x/1",
    }
    config = load_config(path, env=env)
    assert config["edition.size"] == 7
    assert config["general.languages"] == ["en", "fr"]
    assert config["fetch.user_agent"] == "x/1"
    assert load_config(path, env={})["edition.size"] == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[edition]\nsize = 0\n", "edition.size = 0 is not allowed: expected a number from 1 to 100"),
        ("[edition]\nsiz = 3\n", "unknown key 'edition.siz'"),
        ('[general]\ntimezone = "Mars/Olympus"\n', "general.timezone = 'Mars/Olympus' is not allowed"),
        ('[general]\nlanguages = "fr"\n', "expected a non-empty list of two-letter language codes"),
        ("[fetch]\nrespect_robots = 1\n", "expected true or false"),
        ("[edition\nsize = 3\n", "invalid TOML"),
        ('[[sources]]\nname = "x"\n', "sources[1]: each source needs a url string"),
        ('[[sources]]\nurl = "ftp://x"\n', "must start with http:// or https://"),
        ('[[sources]]\nurl = "https://x"\nfoo = 1\n', "unknown key 'foo'"),
    ],
    ids=[
        "out-of-range",
        "unknown-key",
        "bad-timezone",
        "languages-not-list",
        "not-boolean",
        "broken-toml",
        "source-without-url",
        "source-bad-scheme",
        "source-unknown-key",
    ],
)
def test_mistakes_name_the_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert message.startswith(str(path)) and expected in message
    assert "\n" not in message


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="environment ESSENTIEL_EDITION_SIZE: edition.size = 'many'"):
        load_config(None, env={"ESSENTIEL_EDITION_SIZE": "many"})


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="essentiel init"):
        load_config(tmp_path / "nope.toml", env={})


def test_rendered_config_is_commented_toml_with_every_setting() -> None:
    text = render_config()
    data = tomllib.loads(text)
    for setting in SETTINGS:
        section, name = setting.key.split(".")
        assert name in data[section]
        assert f"# {setting.help}" in text
