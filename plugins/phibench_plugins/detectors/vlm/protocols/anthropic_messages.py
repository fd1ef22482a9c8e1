"""The Anthropic SDK's messages API: Claude.

The image goes as a base64 ``image`` block before the prompt's text; the system prompt is the
``system`` field. This SDK generation takes ``temperature`` only as an extra body field, so it is
sent that way when set.
"""

from __future__ import annotations

from typing import Any, ClassVar

from phibench.records import TokenUsage
from phibench_plugins.detectors.vlm.image import EncodedImage
from phibench_plugins.detectors.vlm.params import Response, VlmParams
from phibench_plugins.detectors.vlm.pricing import anthropic_image_tokens
from phibench_plugins.detectors.vlm.protocols.base import WireProtocol

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
           "model_context_window_exceeded": "length", "refusal": "refusal"}


class AnthropicMessages(WireProtocol):
    """Messages on the Anthropic SDK's async client."""

    name: ClassVar[str] = "anthropic_messages"
    Params: ClassVar[type] = VlmParams
    default_base_url: ClassVar[str] = "https://api.anthropic.com"

    @classmethod
    def image_tokens(cls, params: VlmParams, width: int, height: int) -> int:
        return anthropic_image_tokens(width, height)

    def _make_client(self, api_key: str, base_url: str, query: dict[str, str]) -> Any:
        import anthropic  # the SDKs take seconds to import: only workers that send pay for it

        return anthropic.AsyncAnthropic(api_key=api_key, timeout=self.params.timeout_s,
                                        max_retries=0, base_url=base_url,
                                        default_query=query or None)

    def request(self, user: str, image: EncodedImage | None = None) -> dict[str, Any]:
        p = self.params
        content: list[dict[str, Any]] = []
        if image is not None:
            picture = {"type": "base64", "media_type": image.mime, "data": image.b64()}
            content.append({"type": "image", "source": picture})
        content.append({"type": "text", "text": user})
        # messages in ``extra_body``, as in openai_chat: the SDK's typed transform costs CPU only
        extra: dict[str, Any] = {"messages": [{"role": "user", "content": content}]}
        if p.temperature is not None:
            extra["temperature"] = p.temperature
        kw: dict[str, Any] = {"model": p.model, "max_tokens": p.max_tokens, "messages": [],
                              "extra_body": extra}
        if self.prompt.system:
            kw["system"] = self.prompt.system
        return kw

    async def send(self, request: dict[str, Any]) -> Response:
        import anthropic

        create = self.client.messages.with_raw_response.create
        message, label = await self._create(anthropic, create, request)
        u = message.usage
        tokens = TokenUsage(int(u.input_tokens or 0), int(u.output_tokens or 0)) if u else \
            TokenUsage()
        text = "".join(getattr(block, "text", "") for block in (message.content or [])
                       if getattr(block, "type", "") == "text")
        reason = str(message.stop_reason or "end_turn")
        return Response(text, _FINISH.get(reason, f"other:{reason}"), tokens, label)
