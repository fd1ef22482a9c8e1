"""Dry-run figures of a VLM detector (``phibench estimate``): tokens per image from its size,
with the provider's image-token rule, the prompt's length and an expected answer, priced."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from phibench.records import TokenUsage
from phibench_plugins.detectors.vlm.image import resized_size
from phibench_plugins.detectors.vlm.params import VlmParams
from phibench_plugins.detectors.vlm.pricing import text_tokens
from phibench_plugins.detectors.vlm.prompt import load_prompt

if TYPE_CHECKING:
    from phibench_plugins.detectors.vlm.base import VlmDetector

MESSAGE_OVERHEAD_TOKENS = 8
"""Roles and separators of a system and a user message, about."""


class Estimator:
    """Needs no key and sends nothing."""

    def __init__(self, detector_cls: type["VlmDetector"], params: VlmParams) -> None:
        self.cls, self.params = detector_cls, params
        self.prompt = load_prompt(params.prompt)
        self.price = detector_cls.price_of(params)
        self.prompt_tokens = (text_tokens(self.prompt.system) + text_tokens(self.prompt.user)
                              + MESSAGE_OVERHEAD_TOKENS)

    def usage(self, width: int, height: int) -> TokenUsage:
        """Tokens of one frame of ``width`` x ``height`` pixels, as rendered."""
        w, h = resized_size(width, height, self.params.image_long_side)
        image = self.cls.image_tokens(self.params, w, h)
        return TokenUsage(self.prompt_tokens + image, self.params.expected_output_tokens)

    def cost_usd(self, usage: TokenUsage) -> float:
        return self.price.cost(usage)

    def describe(self) -> dict[str, Any]:
        return {"model": self.params.model, "prompt": self.prompt.tag, "price": self.price.basis()}
