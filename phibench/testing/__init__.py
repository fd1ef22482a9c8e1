"""phibench's testing kit: local servers that speak the remote models' real wire protocols.

For detector tests and benchmarks without a network or an API key — with the official SDKs
pointed at them::

    from phibench.testing import OpenAIChatServer, Reply, FirstAttempts

    rule = FirstAttempts([Reply.rate_limited(retry_after=0.2)], then=Reply.answer("No PHI"))
    with OpenAIChatServer(rule, latency_s=0.05) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test")
        ...
        assert server.max_in_flight <= 16

Servers: :class:`OpenAIChatServer` (chat completions), :class:`AnthropicMessagesServer`
(messages). Faults: :class:`Reply`. Behaviours: :class:`Script`, :class:`FirstAttempts`,
:class:`GroundTruthRule` (+ :func:`truth_by_image`), :class:`TextRule` (text-only requests).
Every response is marked simulated, and a scorecard measured against these servers says
``simulated: true``: it measures the pipeline, not a model.

From a shell, ``python -m phibench.testing openai --truth-from synthetic:n=24,seed=0`` serves
answers from a dataset's ground truth (each image recognised by the hash of the bytes the
detector sends: :mod:`.truth`); without ``--truth-from`` it answers "no PHI" to everything, and
says so on startup (:mod:`.__main__`).
"""

from phibench.testing.anthropic_server import AnthropicMessagesServer
from phibench.testing.openai_server import OpenAIChatServer
from phibench.testing.rules import (
    FirstAttempts,
    GroundTruthRule,
    Script,
    TextRule,
    pick,
    truth_by_image,
)
from phibench.testing.replies import Behaviour, Reply, Request, image_key
from phibench.testing.server import SIMULATED_HEADER, FakeServer

__all__ = [
    "AnthropicMessagesServer",
    "Behaviour",
    "FakeServer",
    "FirstAttempts",
    "GroundTruthRule",
    "OpenAIChatServer",
    "Reply",
    "Request",
    "SIMULATED_HEADER",
    "Script",
    "TextRule",
    "image_key",
    "pick",
    "truth_by_image",
]
