"""Turn OpenAI SDK / transport failures into one clear line for the user.

Every message names what happened and what to do, includes the server's request id when there is
one, and is passed through :func:`scrub` so an API key never reaches the screen, stdout or the log.
"""

from __future__ import annotations

import re


class LLMError(Exception):
    """A model/API failure, already explained.

    Attributes:
        message: one line for the user.
        kind: short machine name: ``auth``, ``forbidden``, ``not_found``, ``rate_limit``,
            ``server``, ``timeout``, ``connection``, ``stream_cut``, ``malformed``, ``bad_request``,
            ``api``.
        request_id: the server's ``x-request-id`` when known.
        retry_after: seconds from ``Retry-After`` when given.
    """

    def __init__(self, message: str, kind: str, request_id: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


_KEY_SHAPES = re.compile(r"(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9_\-\.=]{8,})")


def scrub(text: str, secrets: list[str | None] | tuple[str | None, ...] = ()) -> str:
    """Remove API keys from ``text``: the given secret values and common key shapes."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "********")
    return _KEY_SHAPES.sub("********", text)


def _server_message(exc: object) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return ""


def _transport_error(exc: BaseException, name: str) -> bool:
    """Whether ``exc`` is the HTTP transport's ``name`` error (``httpx`` or the SDK's ``httpx2``)."""
    return any(c.__name__ == name and c.__module__.split(".")[0].startswith("httpx") for c in type(exc).__mro__)


def explain(exc: BaseException, *, base_url: str, model: str, secrets: tuple[str | None, ...] = ()) -> LLMError:
    """Map an exception raised while talking to the endpoint to an :class:`LLMError`.

    Args:
        exc: what the ``openai`` SDK (or the transport) raised.
        base_url: the endpoint, named in the message.
        model: the model, named in 404 messages.
        secrets: values that must never appear in the message.
    """
    import openai  # imported lazily: the SDK is slow to import

    request_id = getattr(exc, "request_id", None)
    response = getattr(exc, "response", None)
    if request_id is None and response is not None:
        try:
            request_id = response.headers.get("x-request-id")
        except Exception:  # pragma: no cover
            request_id = None
    retry_after = None
    if response is not None:
        try:
            ra = response.headers.get("retry-after")
            retry_after = float(ra) if ra is not None else None
        except (TypeError, ValueError):
            retry_after = None
    server = _server_message(exc)
    detail = f": {server}" if server else ""
    if isinstance(exc, openai.AuthenticationError):
        kind, msg = (
            "auth",
            f"401 Unauthorized from {base_url}{detail}. Check the API key (llm.api_key or the provider's key variable).",
        )
    elif isinstance(exc, openai.PermissionDeniedError):
        kind, msg = "forbidden", f"403 Forbidden from {base_url}{detail}. The key has no access to model {model!r}."
    elif isinstance(exc, openai.NotFoundError):
        kind, msg = (
            "not_found",
            f"404 Not Found from {base_url}{detail}. Check llm.model ({model!r}) and llm.base_url (it usually ends in /v1).",
        )
    elif isinstance(exc, openai.RateLimitError):
        wait = f" Retry after {retry_after:g} s." if retry_after is not None else " Wait and retry."
        kind, msg = "rate_limit", f"429 Rate limited by {base_url}{detail}.{wait}"
    elif isinstance(exc, openai.InternalServerError) or (
        isinstance(exc, openai.APIStatusError) and getattr(exc, "status_code", 0) >= 500
    ):
        kind, msg = "server", f"{getattr(exc, 'status_code', 500)} Server error from {base_url}{detail}. Retry later."
    elif isinstance(exc, openai.APIStatusError):
        kind, msg = "bad_request", f"{exc.status_code} from {base_url}{detail or ': ' + str(exc)}."
    elif isinstance(exc, openai.APITimeoutError):
        kind, msg = "timeout", f"Timed out waiting for {base_url}. Raise llm.timeout or check the server."
    elif isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        reason = f" ({type(cause).__name__}: {cause})" if cause else ""
        text = str(cause or "").lower() + str(exc).lower()
        if "refused" in text or "connecterror" in reason.lower() or "connect" in type(cause).__name__.lower():
            kind, msg = "connection", f"Cannot connect to {base_url}{reason}. Is the server running and llm.base_url right?"
        else:
            kind, msg = "stream_cut", f"The connection to {base_url} broke mid-reply{reason}. What arrived is kept."
    elif _transport_error(exc, "TimeoutException"):  # raised while reading a streamed body
        kind, msg = "timeout", f"Timed out waiting for {base_url}. Raise llm.timeout or check the server."
    elif _transport_error(exc, "TransportError"):
        kind, msg = (
            "stream_cut",
            f"The connection to {base_url} broke mid-reply ({type(exc).__name__}: {exc}). What arrived is kept.",
        )
    elif isinstance(exc, (openai.APIResponseValidationError, ValueError)):
        kind, msg = "malformed", f"Malformed data from {base_url}: {exc}. What arrived is kept."
    elif isinstance(exc, openai.APIError):
        kind, msg = "api", f"API error from {base_url}{detail or ': ' + str(exc)}."
    else:
        kind, msg = "api", f"{type(exc).__name__} talking to {base_url}: {exc}"
    if request_id:
        msg += f" (request id {request_id})"
    msg = " ".join(scrub(msg, secrets).split())
    return LLMError(msg, kind, request_id, retry_after)
