"""Streaming chat completions against any OpenAI-compatible endpoint.

Uses ``openai.AsyncOpenAI`` (imported lazily: the SDK costs ~1 s of import on a cold machine, so
the TUI loads it after its first frame). Requests ``stream=True`` with
``stream_options={"include_usage": True}`` through the SDK's ``with_streaming_response`` (the SDK
does auth, retries, timeouts and status errors) and decodes the event stream with
:mod:`workbench.core.llm.sse` (10x cheaper per chunk than the SDK's pydantic objects), yielding
normalised items from :mod:`workbench.core.llm.stream`. Every failure is raised as :class:`~workbench.core.llm.errors.LLMError`
with a one-line message (see :func:`~workbench.core.llm.errors.explain`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from workbench.core.llm.errors import LLMError, explain, scrub
from workbench.core.llm.sse import DONE, ServerStreamError, chunk_items, decode_chunk, sse_events
from workbench.core.llm.stream import StreamItem


class LLMClient:
    """One endpoint + model.

    Args:
        base_url: API base URL (``.../v1``).
        model: model name.
        api_key: the key, or None for servers that need none (a placeholder is sent).
        timeout: seconds for connect and for each read.
        max_retries: SDK retries on 429/5xx/connection errors (it honours ``Retry-After``).
        temperature: optional sampling temperature.
        label: display name (e.g. "scripted demo model").
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        max_retries: int = 2,
        temperature: float | None = None,
        label: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.label = label or model
        self.timeout = timeout
        self.max_retries = max_retries
        self.temperature = temperature
        self._api_key = api_key  # never logged: redacted from events by the store
        self._client: Any = None
        self.last_request_id: str | None = None
        """``x-request-id`` of the last response (None when the server sent none)."""

    def _sdk(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.AsyncOpenAI(
                api_key=self._api_key or "not-needed",
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
            )
        return self._client

    def _explain(self, exc: BaseException) -> LLMError:
        err = explain(exc, base_url=self.base_url, model=self.model, secrets=(self._api_key,))
        if err.request_id is None and self.last_request_id:
            err.request_id = self.last_request_id
            err.message += f" (request id {self.last_request_id})"
            err.args = (err.message,)
        return err

    def secrets(self) -> list[str | None]:
        """Values the event log must redact: this client's API key (None when it has none)."""
        return [self._api_key]

    def scrub(self, text: str) -> str:
        """Remove this client's key (and key-like strings) from ``text``."""
        return scrub(text, (self._api_key,))

    async def stream_chat(
        self, messages: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None
    ) -> AsyncIterator[StreamItem]:
        """Send ``messages`` and yield the streamed reply.

        The HTTP stream and the SDK's chunk parsing run on a background event loop (see
        :mod:`workbench.core.llm.offload`), so the caller's loop (the UI's) only receives the
        normalised items, in batches. Same items, order and errors as :meth:`stream_direct`.
        """
        from workbench.core.llm.offload import relay

        async for item in relay(_BACKGROUND, lambda: self.stream_direct(messages, tools=tools)):
            yield item

    async def stream_direct(
        self, messages: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None
    ) -> AsyncIterator[StreamItem]:
        """Send ``messages`` and yield the streamed reply on the current loop.

        Args:
            messages: OpenAI chat messages (``{"role", "content", ...}``).
            tools: OpenAI function tools, if any.

        Yields:
            :class:`TextDelta`, :class:`ReasoningDelta`, :class:`ToolCallDelta`, :class:`Usage`,
            and finally :class:`Finish`.

        Raises:
            LLMError: HTTP errors, timeouts, refused connections, a stream cut before the model
                finished (``kind="stream_cut"``), or a malformed chunk (``kind="malformed"``).
        """
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if tools:
            kwargs["tools"] = tools
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        self.last_request_id = None
        finished = False
        started = False
        try:
            async with self._sdk().chat.completions.with_streaming_response.create(**kwargs) as response:
                started = True
                self.last_request_id = response.headers.get("x-request-id")
                async for event in sse_events(response.iter_lines()):
                    if event.data == DONE:
                        break
                    items, done = chunk_items(decode_chunk(event.data))
                    finished = finished or done
                    for item in items:
                        yield item
        except LLMError:
            raise
        except json.JSONDecodeError as exc:
            raise self._stream_error(
                f"Malformed chunk from {self.base_url}: {exc.msg} at column {exc.colno}.", "malformed"
            ) from exc
        except ServerStreamError as exc:
            raise self._stream_error(f"{self.base_url} reported an error mid-reply: {exc.message}.", "api") from exc
        except ValueError as exc:
            raise self._stream_error(f"Malformed chunk from {self.base_url}: {exc}.", "malformed") from exc
        except Exception as exc:
            err = self._explain(exc)
            if err.kind in ("api", "connection") and started and not isinstance(exc, _openai_status_error()):
                err = self._stream_error(
                    f"The stream from {self.base_url} broke mid-reply ({type(exc).__name__}: {exc}).", "stream_cut"
                )
            raise err from exc
        if not finished:
            raise self._stream_error(
                f"The stream from {self.base_url} ended before the model finished (no finish_reason).", "stream_cut"
            )

    def _stream_error(self, what: str, kind: str) -> LLMError:
        """An error after part of the reply arrived: ``what``, that the part is kept, the request id."""
        message = self.scrub(f"{what} What arrived is kept.")
        if self.last_request_id:
            message += f" (request id {self.last_request_id})"
        return LLMError(message, kind, self.last_request_id)

    async def close(self) -> None:
        """Close the HTTP client (on the loop that created it)."""
        client, self._client = self._client, None
        if client is not None:
            try:
                await _BACKGROUND.run(client.close)
            except Exception:  # closing is best effort
                pass


def _background() -> Any:
    from workbench.core.llm.offload import BackgroundLoop

    return BackgroundLoop()


class _LazyBackground:
    """The process-wide background loop for model streams, created on first use."""

    _instance: Any = None

    def __getattr__(self, name: str) -> Any:
        if _LazyBackground._instance is None:
            _LazyBackground._instance = _background()
        return getattr(_LazyBackground._instance, name)


_BACKGROUND: Any = _LazyBackground()


def _openai_status_error() -> type:
    import openai

    return openai.APIStatusError


def client_from_settings(llm: Any) -> LLMClient:
    """Build an :class:`LLMClient` from :class:`workbench.core.config.LLMSettings`.

    Raises:
        ConfigError: no model is configured.
    """
    r = llm.resolved()
    return LLMClient(
        r.base_url,
        r.model,
        r.api_key,
        timeout=llm.timeout,
        max_retries=llm.max_retries,
        temperature=llm.temperature,
        label=llm.label,
    )
