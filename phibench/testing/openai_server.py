"""A local OpenAI chat completions server (``POST .../chat/completions``) for the OpenAI SDK."""

from __future__ import annotations

import math
import time
from typing import Any, ClassVar

from phibench.testing.replies import Reply, Request, decode_data, image_size
from phibench.testing.server import FakeServer


def gpt4o_image_tokens(width: int, height: int, detail: str | None) -> int:
    """The server's own count, from OpenAI's published rule (85, or 85 + 170 per 512-px tile)."""
    if detail == "low" or not width:
        return 85
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


class OpenAIChatServer(FakeServer):
    """Answers chat completions as OpenAI does: ``choices[0].message``, ``finish_reason``, usage.

    ``base_url`` ends in ``/v1``; any path ending in ``/chat/completions`` is served, so
    Databricks-style ``/serving-endpoints/chat/completions`` works too.
    """

    protocol: ClassVar[str] = "openai_chat"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def matches(self, path: str) -> bool:
        return path.endswith("/chat/completions")

    def extract(self, body: dict[str, Any]) -> tuple[str, bytes, dict[str, Any]]:
        texts: list[str] = []
        image, facts = b"", {}
        for message in body.get("messages") or []:
            content = message.get("content")
            if isinstance(content, str):
                texts.append(content)
                continue
            for part in content or []:
                if part.get("type") == "text":
                    texts.append(str(part.get("text", "")))
                elif part.get("type") == "image_url":
                    url = str((part.get("image_url") or {}).get("url", ""))
                    image = decode_data(url.partition("base64,")[2])
                    facts["detail"] = (part.get("image_url") or {}).get("detail")
        return "\n".join(texts), image, facts

    def image_tokens(self, request: Request) -> int:
        if not request.image:  # a text-only request
            return 0
        _, _, facts = self.extract(request.body)
        return gpt4o_image_tokens(*image_size(request.image), facts.get("detail"))

    def render(self, request: Request, reply: Reply) -> tuple[int, dict[str, Any]]:
        if reply.kind == "status":
            kinds = {429: "rate_limit_exceeded", 401: "invalid_api_key",
                     400: "invalid_request_error"}
            error = {"message": f"simulated HTTP {reply.status}",
                     "type": kinds.get(reply.status, "server_error"), "code": None}
            return reply.status, {"error": error}
        text, refusal, finish = reply.text, None, "stop"
        if reply.kind == "refusal":
            text, refusal = None, reply.text
        elif reply.kind == "truncated":
            finish = "length"
        prompt_tokens, completion_tokens = self.usage(request, reply.text)
        return 200, {
            "id": f"chatcmpl-sim-{request.n}", "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model, "system_fingerprint": "phibench-simulated",
            "choices": [{"index": 0, "finish_reason": finish, "logprobs": None,
                         "message": {"role": "assistant", "content": text, "refusal": refusal}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }
