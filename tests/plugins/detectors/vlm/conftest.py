"""Fixtures of the VLM detector tests: distinct frames, a key in the environment, and a factory
that points a registered VLM detector at a local wire-protocol server."""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np
import pytest

from phibench.frame import Frame
from phibench.records import Sample
from phibench.registry import default_registry
from phibench.testing import AnthropicMessagesServer, OpenAIChatServer

KEY_ENV = "PHIBENCH_TEST_VLM_KEY"

SERVERS = {"gpt4o": OpenAIChatServer, "claude": AnthropicMessagesServer,
           "llama4_maverick": OpenAIChatServer, "openai_compatible": OpenAIChatServer}
MODELS = {"gpt4o": "gpt-4o", "claude": "claude-3-7-sonnet-20250219",
          "llama4_maverick": "databricks-llama-4-maverick", "openai_compatible": "gpt-4o-mini"}
PHI_ANSWER = '{"text": ["DOE^JANE", "L"], "phi": [{"text": "DOE^JANE", "category": "name"}], "has_phi": true}'
NO_PHI_ANSWER = '{"text": ["L"], "phi": [], "has_phi": false}'


def make_frames(n: int, shape: tuple[int, ...] = (96, 128), seed: int = 0) -> list[Frame]:
    """``n`` frames with different pixels (so different cache keys and image hashes)."""
    rng = np.random.default_rng(seed)
    return [Frame(Sample(f"s{i:03d}", f"/data/img{i:03d}.dcm"), rng.integers(0, 256, shape, dtype=np.uint8))
            for i in range(n)]


@pytest.fixture
def api_key(monkeypatch) -> str:
    key = "sk-phibench-" + secrets.token_hex(12)
    monkeypatch.setenv(KEY_ENV, key)
    return key


def build(name: str, server: Any = None, **params: Any) -> Any:
    """The registered detector ``name`` aimed at ``server``, fast-failing settings for tests."""
    defaults: dict[str, Any] = {"model": MODELS[name], "api_key_env": KEY_ENV, "cache": "off",
                                "max_in_flight": 4, "backoff_initial_s": 0.01, "backoff_max_s": 2.0,
                                "timeout_s": 5.0}
    if server is not None:
        defaults["base_url"] = server.base_url
    return default_registry().build("detector", name, {**defaults, **params})
