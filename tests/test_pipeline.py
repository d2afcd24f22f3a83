"""Settings: environment variables with types, CLI-style overrides, and the secret API key."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import DEFAULT_INDEX, Secret, Settings

pytestmark = pytest.mark.unit

KEY = "sk-test-very-secret-1234"


def test_from_env_reads_prefixed_variables_with_types() -> None:
    s = Settings.from_env(
        {
            "ASSISTANT_TOP_K": "7",
            "ASSISTANT_KEYWORD_WEIGHT": "0.55",
            "ASSISTANT_KIOSK": "true",
            "ASSISTANT_INDEX_DIR": "/tmp/some-index",
            "ASSISTANT_LLM_MODEL": "qwen",
            "ASSISTANT_LLM_API_KEY": KEY,
            "ASSISTANT_PORT": "9001",
        }
    )
    assert s.top_k == 7 and type(s.top_k) is int
    assert s.keyword_weight == 0.55 and type(s.keyword_weight) is float
    assert s.kiosk is True
    assert s.index_dir == Path("/tmp/some-index") and isinstance(s.index_dir, Path)
    assert s.llm_model == "qwen"
    assert s.port == 9001
    assert isinstance(s.llm_api_key, Secret) and s.llm_api_key == KEY


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("yes", True),
        ("ON", True),
        ("True", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
    ],
)
def test_bool_values(raw: str, expected: bool) -> None:
    assert Settings.from_env({"ASSISTANT_KIOSK": raw}).kiosk is expected


def test_from_env_ignores_empty_and_unprefixed_variables() -> None:
    s = Settings.from_env({"ASSISTANT_TOP_K": "", "TOP_K": "9", "ASSISTANT_NOT_A_FIELD": "x"})
    assert s == Settings()


def test_from_env_with_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("ASSISTANT_CHUNK_TOKENS", "256")
    monkeypatch.setenv("ASSISTANT_REFUSAL_THRESHOLD", "0.5")
    s = Settings.from_env(os.environ)
    assert s.chunk_tokens == 256 and s.refusal_threshold == 0.5


def test_bad_number_is_an_error() -> None:
    with pytest.raises(ValueError):
        Settings.from_env({"ASSISTANT_TOP_K": "five"})


def test_with_overrides_ignores_none_and_coerces() -> None:
    base = Settings(top_k=3)
    s = base.with_overrides(top_k=None, port="8123", index_dir="rel/index", kiosk=None, dense_weight=1)
    assert s.top_k == 3
    assert s.port == 8123
    assert s.index_dir == Path("rel/index")
    assert s.kiosk is False
    assert s.dense_weight == 1.0 and type(s.dense_weight) is float
    assert base.port == 7860  # the original is untouched (frozen copy)
    assert Settings().with_overrides(index_dir=None).index_dir == DEFAULT_INDEX


def test_llm_enabled_needs_url_and_model() -> None:
    assert not Settings().llm_enabled
    assert not Settings().with_overrides(llm_base_url="http://127.0.0.1:1/v1").llm_enabled
    assert Settings().with_overrides(llm_base_url="http://127.0.0.1:1/v1", llm_model="m").llm_enabled


def test_api_key_never_shows_in_repr() -> None:
    s = Settings.from_env({"ASSISTANT_LLM_API_KEY": KEY})
    assert KEY not in repr(s)
    assert KEY not in str(s)
    assert KEY not in f"{s}"
    assert KEY not in repr({"settings": s})
    s2 = Settings().with_overrides(llm_api_key=KEY)
    assert isinstance(s2.llm_api_key, Secret)
    assert KEY not in repr(s2)
    assert s2.llm_api_key == KEY  # still usable as the real value
