"""What a wire protocol is: the only part of a VLM detector that knows its provider's API.

A protocol object is built per detector from its parameters and prompt. It says what shapes a
request (its part of the cache key and of the scorecard's description), builds one request for a
prompt's text with or without an image, counts the request's tokens for the rate limiter and the
image's tokens for ``phibench estimate``, and, in the worker, connects its SDK's *async* client
and sends: :meth:`WireProtocol.send` returns a protocol-neutral :class:`~..params.Response` or
raises :class:`~..errors.TransportError`. Everything else — the event loop, in-flight slots,
rate limits, retries, the cache, usage — is the :class:`~..transport.Transport`'s.

The openai and anthropic SDKs share their error classes' shape, so their failures map to
:class:`~..errors.TransportError` here, once (:meth:`WireProtocol._create`).
"""

from __future__ import annotations

import inspect
import os
from typing import Any, ClassVar

from phibench_plugins.detectors.vlm.errors import TransportError, parse_retry_after, status_error
from phibench_plugins.detectors.vlm.image import EncodedImage
from phibench_plugins.detectors.vlm.params import (
    SIMULATED_HEADER,
    SIMULATED_SUFFIX,
    Response,
    VlmParams,
    client_url,
    endpoint_label,
)
from phibench_plugins.detectors.vlm.pricing import text_tokens
from phibench_plugins.detectors.vlm.prompt import Prompt


class WireProtocol:
    """One wire API (chat completions, messages, ...); see the module docstring."""

    name: ClassVar[str] = ""
    """Recorded in the scorecard and every cache key (``openai_chat``, ``anthropic_messages``)."""
    Params: ClassVar[type] = VlmParams
    """The parameters of a detector on this API: :class:`~..params.VlmParams` and its own."""
    default_base_url: ClassVar[str] = ""
    """The vendor's endpoint, used when ``base_url`` is null."""

    def __init__(self, params: VlmParams, prompt: Prompt) -> None:
        self.params, self.prompt = params, prompt
        self.url = params.base_url or self.default_base_url
        """The real base URL: it reaches the SDK client and nothing else (it may hold a key)."""
        self.endpoint = endpoint_label(self.url)
        """The endpoint as every record names it: credentials in the URL redacted."""
        self.client: Any = None

    # -- configuration, on the driver ------------------------------------------------------------

    @classmethod
    def check(cls, params: VlmParams) -> None:
        """Raise :class:`~phibench.exceptions.ConfigError` for parameters this API rejects."""

    @classmethod
    def image_tokens(cls, params: VlmParams, width: int, height: int) -> int:
        """Input tokens of an image of this size (after the long-side cut): the provider's rule."""
        raise NotImplementedError

    def identity(self) -> dict[str, Any]:
        """Who is asked, and how: the scorecard's description and every cache key start here."""
        p = self.params
        return {"protocol": self.name, "model": p.model, "endpoint": self.endpoint,
                "prompt": self.prompt.tag, "prompt_sha256": self.prompt.sha256,
                "temperature": p.temperature, "max_tokens": p.max_tokens}

    def options(self) -> dict[str, Any]:
        """This API's own request options that shape every answer (part of the cache key)."""
        return {}

    def image_options(self) -> dict[str, Any]:
        """This API's options of an image (the cache key's and the description's ``image``)."""
        return {}

    def key_parts(self) -> dict[str, Any]:
        """What besides the content shapes a request: its part of the cache key."""
        return {**self.identity(), **self.options()}

    def request_tokens(self, user: str, image: EncodedImage | None = None) -> int:
        """The most tokens one request may use (prompt + image + max_tokens): its rate cost."""
        image_tokens = self.image_tokens(self.params, image.width, image.height) if image else 0
        return (text_tokens(self.prompt.system) + text_tokens(user) + image_tokens
                + self.params.max_tokens)

    # -- sending, in the worker ------------------------------------------------------------------

    def request(self, user: str, image: EncodedImage | None = None) -> dict[str, Any]:
        """The SDK call's keyword arguments: the system prompt, ``user`` and the image, if any."""
        raise NotImplementedError

    def connect(self) -> None:
        """Build the SDK's async client (its own retries off: the transport owns retries), reading
        the key from the environment variable ``api_key_env`` here, in the worker."""
        p = self.params
        key = os.environ.get(p.api_key_env, "") if p.api_key_env else ""
        base_url, query = client_url(self.url)
        self.client = self._make_client(key or "no-key", base_url, query)

    def _make_client(self, api_key: str, base_url: str, query: dict[str, str]) -> Any:
        raise NotImplementedError

    async def send(self, request: dict[str, Any]) -> Response:
        """One request; raises :class:`~..errors.TransportError` on any failed attempt."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Close the client's connections (:meth:`connect` builds a new one)."""
        client, self.client = self.client, None
        if client is not None:
            await client.close()

    async def _create(self, sdk: Any, create: Any, request: dict[str, Any]) -> tuple[Any, str]:
        """Send ``request`` with ``create`` (an SDK's ``with_raw_response.create``) and parse it.

        Returns ``(parsed response, endpoint label)``; SDK failures become
        :class:`~..errors.TransportError` (PHI-free reasons; the SDK's text is never kept)."""
        import pydantic

        try:
            raw = await create(**request)
        except sdk.APIStatusError as exc:
            raise status_error(exc.status_code, parse_retry_after(exc.response.headers),
                               self.params.api_key_env) from None
        except sdk.APITimeoutError:
            raise TransportError("timed out", retryable=True) from None
        except sdk.APIConnectionError:
            raise TransportError("connection dropped before a response", retryable=True) from None
        label = self._label(raw.headers)
        try:
            parsed = raw.parse()  # awaited when the SDK's raw response parses asynchronously
            return (await parsed if inspect.isawaitable(parsed) else parsed), label
        except (ValueError, TypeError, pydantic.ValidationError):
            raise TransportError("malformed response body", retryable=True) from None

    def _label(self, headers: Any) -> str:
        """The endpoint that answered, marked when it declared itself a local test server."""
        simulated = str(headers.get(SIMULATED_HEADER) or "") == "1"
        return self.endpoint + (SIMULATED_SUFFIX if simulated else "")
