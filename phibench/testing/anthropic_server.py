"""A local Anthropic messages server (``POST /v1/messages``) for the Anthropic SDK."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from phibench.testing.replies import Reply, Request, decode_data, image_size
from phibench.testing.server import FakeServer

_ERRORS = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
           404: "not_found_error", 429: "rate_limit_error", 529: "overloaded_error"}


class AnthropicMessagesServer(FakeServer):
    """Answers as the messages API does: text content blocks, ``stop_reason``, usage.

    The base URL is the server's root (the SDK appends ``/v1/messages``).
    """

    protocol: ClassVar[str] = "anthropic_messages"

    def matches(self, path: str) -> bool:
        return path.endswith("/v1/messages")

    def extract(self, body: dict[str, Any]) -> tuple[str, bytes, dict[str, Any]]:
        texts: list[str] = []
        system = body.get("system")
        if isinstance(system, str):
            texts.append(system)
        elif isinstance(system, list):
            texts += [str(b.get("text", "")) for b in system if isinstance(b, dict)]
        image = b""
        for message in body.get("messages") or []:
            content = message.get("content")
            if isinstance(content, str):
                texts.append(content)
                continue
            for block in content or []:
                if block.get("type") == "text":
                    texts.append(str(block.get("text", "")))
                elif block.get("type") == "image":
                    image = decode_data(str((block.get("source") or {}).get("data", "")))
        return "\n".join(texts), image, {}

    def image_tokens(self, request: Request) -> int:
        w, h = image_size(request.image)
        return math.ceil(w * h / 750)

    def render(self, request: Request, reply: Reply) -> tuple[int, dict[str, Any]]:
        if reply.kind == "status":
            kind = _ERRORS.get(reply.status, "api_error")
            error = {"type": kind, "message": f"simulated HTTP {reply.status}"}
            return reply.status, {"type": "error", "error": error}
        stop = {"refusal": "refusal", "truncated": "max_tokens"}.get(reply.kind, "end_turn")
        content = [{"type": "text", "text": reply.text}] if reply.text else []
        input_tokens, output_tokens = self.usage(request, reply.text)
        return 200, {
            "id": f"msg_sim_{request.n}", "type": "message", "role": "assistant",
            "model": request.model,
            "content": content, "stop_reason": stop, "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }
