"""The shipped VLM detectors: a protocol's detector class under a name, with defaults.

Each preset is data — the class of its wire protocol and the parameters that differ from that
protocol's schema — registered as ``register.add(name, cls, **defaults)``
(:func:`phibench_plugins.detectors.phibench_register_detectors`), as llm registers one ``Chat``
class per OpenAI model. The defaults equal the shipped ``conf/detector/<name>.yaml``, so a detector
built from the registry with no parameters is the one ``detector=<name>`` composes.

An endpoint with no vendor default (Databricks, vLLM, Ollama) has ``base_url: ???``: Hydra's mark
of a mandatory value, so a run without one fails on the driver naming ``base_url``.
A third party's model is one more line in its own hook:
``register.add("mine", OpenAIChatDetector, base_url=MISSING, model="my-model")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from phibench_plugins.detectors.vlm.detector import (
    AnthropicMessagesDetector,
    OpenAIChatDetector,
    VlmDetector,
)


@dataclass(frozen=True)
class Preset:
    """One shipped VLM detector: what ``register.add`` is given."""

    cls: type[VlmDetector]
    doc: str
    defaults: dict[str, Any] = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    "gpt4o": Preset(
        OpenAIChatDetector, "``detector=gpt4o``: GPT-4o behind the OpenAI chat completions API.",
        dict(model="gpt-4o-2024-08-06", api_key_env="OPENAI_API_KEY", detail="low", json_mode=True)),
    "claude": Preset(
        AnthropicMessagesDetector, "``detector=claude``: Claude through the Anthropic messages API.",
        dict(model="claude-3-7-sonnet-20250219", api_key_env="ANTHROPIC_API_KEY")),
    "llama4_maverick": Preset(
        OpenAIChatDetector, "``detector=llama4_maverick``: Llama 4 Maverick on a Databricks serving "
        "endpoint (or any OpenAI-compatible server hosting it); ``base_url`` is required.",
        dict(base_url=MISSING, model="databricks-llama-4-maverick", api_key_env="DATABRICKS_TOKEN",
             detail=None, json_mode=False)),
    "openai_compatible": Preset(
        OpenAIChatDetector, "``detector=openai_compatible``: any chat-completions endpoint; "
        "``base_url`` and ``model`` are required.",
        dict(base_url=MISSING, model="", api_key_env=None, detail=None, json_mode=False)),
}
"""Registered name → its class and defaults."""
