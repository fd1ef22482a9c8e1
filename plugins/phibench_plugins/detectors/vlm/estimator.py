"""Dry-run figures of a VLM detector (``phibench estimate``): tokens per image from its size,
with the provider's image-token rule, the prompt's length and an expected answer, priced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from phibench.records import TokenUsage
from phibench_plugins.detectors.vlm.image import resized_size
from phibench_plugins.detectors.vlm.params import VlmParams
from phibench_plugins.detectors.vlm.pricing import price_of, text_tokens
from phibench_plugins.detectors.vlm.prompt import load_prompt

MESSAGE_OVERHEAD_TOKENS = 8
"""Roles and separators of a system and a user message, about."""


class Estimator:
    """Needs no key and sends nothing.

    ``content_tokens(width, height)``: the input tokens of what a request carries for a frame of
    that size after the long-side cut (a wire protocol's image rule, or an OCR text's guess)."""

    def __init__(self, params: VlmParams, content_tokens: Callable[[int, int], int]) -> None:
        self.params, self.content_tokens = params, content_tokens
        self.prompt = load_prompt(params.prompt)
        self.price = price_of(params)
        self.prompt_tokens = (text_tokens(self.prompt.system) + text_tokens(self.prompt.user)
                              + MESSAGE_OVERHEAD_TOKENS)

    def usage(self, width: int, height: int) -> TokenUsage:
        """Tokens of one frame of ``width`` x ``height`` pixels, as rendered."""
        w, h = resized_size(width, height, self.params.image_long_side)
        return TokenUsage(self.prompt_tokens + self.content_tokens(w, h),
                          self.params.expected_output_tokens)

    def cost_usd(self, usage: TokenUsage) -> float:
        return self.price.cost(usage)

    def describe(self) -> dict[str, Any]:
        return {"model": self.params.model, "prompt": self.prompt.tag, "price": self.price.basis()}
