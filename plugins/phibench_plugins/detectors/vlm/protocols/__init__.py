"""Wire protocols: one object per provider API, held by a detector (see :mod:`.base`)."""

from phibench_plugins.detectors.vlm.protocols.anthropic_messages import AnthropicMessages
from phibench_plugins.detectors.vlm.protocols.base import WireProtocol
from phibench_plugins.detectors.vlm.protocols.openai_chat import OpenAIChat, OpenAIChatParams

__all__ = ["AnthropicMessages", "OpenAIChat", "OpenAIChatParams", "WireProtocol"]
