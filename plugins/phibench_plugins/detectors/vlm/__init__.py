"""VLM detectors: GPT-4o, Claude, Llama 4 Maverick and any OpenAI-compatible endpoint.

Concurrent (``max_in_flight`` requests per worker), rate-limited, retried with backoff and
Retry-After, fail-closed (refusals, truncated or unparsable answers and exhausted retries are
per-sample errors, never negatives), with measured token cost and a replayable response cache.

The import graph, leaves first (no circles: ``tests/plugins/detectors/vlm/test_import_graph.py``)::

    errors  image  cache  prompt  pricing  limits     leaves
    params  parse  retry                             parameters and checks, answers, retries
    estimator  transport  protocols/                 dry runs; the worker's sending; wire APIs
    detector                                         VlmDetector: a protocol + a transport
    presets                                          gpt4o, claude, llama4_maverick, openai_compatible

See :mod:`.detector` for the flow and the README's "VLM detectors" section for use.
"""

from phibench_plugins.detectors.vlm.detector import VlmDetector, verdict
from phibench_plugins.detectors.vlm.estimator import Estimator
from phibench_plugins.detectors.vlm.image import encode_image
from phibench_plugins.detectors.vlm.params import Response, VlmParams
from phibench_plugins.detectors.vlm.parse import parse_answer
from phibench_plugins.detectors.vlm.presets import PRESETS, Preset
from phibench_plugins.detectors.vlm.protocols import (
    AnthropicMessages,
    OpenAIChat,
    OpenAIChatParams,
    WireProtocol,
)
from phibench_plugins.detectors.vlm.transport import Transport

__all__ = [
    "PRESETS",
    "Preset",
    "AnthropicMessages",
    "Estimator",
    "OpenAIChat",
    "OpenAIChatParams",
    "Response",
    "Transport",
    "VlmDetector",
    "VlmParams",
    "WireProtocol",
    "encode_image",
    "parse_answer",
    "verdict",
]
