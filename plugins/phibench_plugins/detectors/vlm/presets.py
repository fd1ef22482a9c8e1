"""The shipped VLM detectors: one :class:`~.detector.VlmDetector` on a wire protocol, with defaults.

Each preset is data — a protocol and the parameters that differ from the protocol's schema — not
a subclass with code of its own; :func:`phibench_plugins.detectors.phibench_register_detectors`
registers them under their names. The defaults equal the shipped ``conf/detector/<name>.yaml``, so a
detector built from the registry with no parameters is the one ``detector=<name>`` composes.
A third party's model is one more line: ``VlmDetector.preset("mine", OpenAIChat, "...",
requires_base_url=True, model="my-model")``.
"""

from __future__ import annotations

from phibench_plugins.detectors.vlm.detector import VlmDetector
from phibench_plugins.detectors.vlm.protocols import AnthropicMessages, OpenAIChat

gpt4o = VlmDetector.preset(
    "gpt4o", OpenAIChat, "``detector=gpt4o``: GPT-4o behind the OpenAI chat completions API.",
    model="gpt-4o-2024-08-06", api_key_env="OPENAI_API_KEY", detail="low", json_mode=True)

claude = VlmDetector.preset(
    "claude", AnthropicMessages, "``detector=claude``: Claude through the Anthropic messages API.",
    model="claude-3-7-sonnet-20250219", api_key_env="ANTHROPIC_API_KEY")

llama4_maverick = VlmDetector.preset(
    "llama4_maverick", OpenAIChat, "``detector=llama4_maverick``: Llama 4 Maverick on a Databricks "
    "serving endpoint (or any OpenAI-compatible server hosting it); ``base_url`` is required.",
    requires_base_url=True, model="databricks-llama-4-maverick", api_key_env="DATABRICKS_TOKEN",
    detail=None, json_mode=False)

openai_compatible = VlmDetector.preset(
    "openai_compatible", OpenAIChat, "``detector=openai_compatible``: any chat-completions "
    "endpoint; ``base_url`` and ``model`` are required.",
    requires_base_url=True, model="", api_key_env=None, detail=None, json_mode=False)

PRESETS: dict[str, type[VlmDetector]] = {
    d.name: d for d in (gpt4o, claude, llama4_maverick, openai_compatible)}
"""Registered name → detector class."""
