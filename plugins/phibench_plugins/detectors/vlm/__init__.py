"""VLM detectors: GPT-4o, Claude, Llama 4 Maverick and any OpenAI-compatible endpoint.

Concurrent (``max_in_flight`` requests per worker), rate-limited, retried with backoff and
Retry-After, fail-closed (refusals, truncated or unparsable answers and exhausted retries are
per-sample errors, never negatives), with measured token cost and a replayable response cache.
See :mod:`.base` for the flow and the README's "VLM detectors" section for use.
"""

from phibench_plugins.detectors.vlm.anthropic_messages import AnthropicMessagesDetector
from phibench_plugins.detectors.vlm.base import VlmDetector
from phibench_plugins.detectors.vlm.estimator import Estimator
from phibench_plugins.detectors.vlm.image import encode_image
from phibench_plugins.detectors.vlm.openai_chat import (
    Llama4MaverickDetector,
    OpenAIChatDetector,
    OpenAIChatParams,
    OpenAICompatibleDetector,
)
from phibench_plugins.detectors.vlm.params import Response, VlmParams
from phibench_plugins.detectors.vlm.parse import parse_answer

__all__ = [
    "AnthropicMessagesDetector",
    "Estimator",
    "Llama4MaverickDetector",
    "OpenAIChatDetector",
    "OpenAIChatParams",
    "OpenAICompatibleDetector",
    "Response",
    "VlmDetector",
    "VlmParams",
    "encode_image",
    "parse_answer",
]
