"""The OpenAI SDK's chat completions: GPT-4o, Llama 4 Maverick, any compatible API.

The image goes as a base64 data URL (``image_url`` part, with ``detail`` when set), after the
prompt's text; a text-only request (the OCR-then-LLM detector's) carries the text alone; the
system prompt is a system message. Works against OpenAI, Azure OpenAI's v1 API, Databricks
serving endpoints, vLLM, Ollama, LM Studio and any server that speaks the chat completions
protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Optional

from phibench.exceptions import ConfigError
from phibench.records import TokenUsage
from phibench_plugins.detectors.vlm.image import EncodedImage
from phibench_plugins.detectors.vlm.params import Response, VlmParams
from phibench_plugins.detectors.vlm.pricing import openai_image_tokens
from phibench_plugins.detectors.vlm.protocols.base import WireProtocol

DETAILS = ("low", "high", "auto")
_FINISH = {"stop": "stop", "length": "length", "content_filter": "content_filter"}


@dataclass(frozen=True)
class OpenAIChatParams(VlmParams):
    """:class:`VlmParams` plus the chat-completions options."""

    detail: Optional[str] = "low"  # noqa: UP007 - OmegaConf needs Optional
    """Image detail: low (85 tokens), high, auto; null: not sent (servers that reject it)."""
    json_mode: bool = False
    """Ask for ``response_format: json_object`` (OpenAI, vLLM; not every server has it)."""


class OpenAIChat(WireProtocol):
    """Chat completions on the OpenAI SDK's async client."""

    name: ClassVar[str] = "openai_chat"
    Params: ClassVar[type] = OpenAIChatParams
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"

    @classmethod
    def check(cls, params: VlmParams) -> None:
        detail = getattr(params, "detail", None)
        if detail is not None and detail not in DETAILS:
            raise ConfigError(f"detector.detail must be one of {', '.join(DETAILS)} or null")

    @classmethod
    def image_tokens(cls, params: VlmParams, width: int, height: int) -> int:
        return openai_image_tokens(width, height, getattr(params, "detail", None))

    def options(self) -> dict[str, Any]:
        return {"json_mode": self.params.json_mode}

    def image_options(self) -> dict[str, Any]:
        return {"detail": self.params.detail}

    def _make_client(self, api_key: str, base_url: str, query: dict[str, str]) -> Any:
        import openai  # the SDKs take seconds to import: only workers that send pay for it

        return openai.AsyncOpenAI(api_key=api_key, timeout=self.params.timeout_s, max_retries=0,
                                  base_url=base_url, default_query=query or None)

    def request(self, user: str, image: EncodedImage | None = None) -> dict[str, Any]:
        p = self.params
        content: Any = user
        if image is not None:
            picture: dict[str, Any] = {"url": image.data_url()}
            if p.detail is not None:
                picture["detail"] = p.detail
            content = [{"type": "text", "text": user}, {"type": "image_url", "image_url": picture}]
        messages: list[dict[str, Any]] = []
        if self.prompt.system:
            messages.append({"role": "system", "content": self.prompt.system})
        messages.append({"role": "user", "content": content})
        # The messages travel in ``extra_body`` (the SDK's documented channel for raw JSON fields):
        # the SDK's recursive TypedDict transform of ``messages`` leaves plain JSON unchanged but
        # costs ~1 ms of CPU per request, a third of a worker's share at 64 requests in flight.
        kw: dict[str, Any] = {"model": p.model, "messages": [], "max_tokens": p.max_tokens,
                              "extra_body": {"messages": messages}}
        if p.temperature is not None:
            kw["temperature"] = p.temperature
        if p.json_mode:
            kw["response_format"] = {"type": "json_object"}
        return kw

    async def send(self, request: dict[str, Any]) -> Response:
        import openai

        create = self.client.chat.completions.with_raw_response.create
        completion, label = await self._create(openai, create, request)
        u = completion.usage
        tokens = TokenUsage(int(u.prompt_tokens or 0), int(u.completion_tokens or 0)) if u else \
            TokenUsage()
        if not completion.choices:
            return Response("", "stop", tokens, label)
        choice = completion.choices[0]
        if getattr(choice.message, "refusal", None):
            return Response("", "refusal", tokens, label)
        reason = str(choice.finish_reason or "stop")
        return Response(choice.message.content or "", _FINISH.get(reason, f"other:{reason}"),
                        tokens, label)
