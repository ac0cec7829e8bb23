"""Model discovery: with a base URL of the user's own and no model set, ask the server.

OpenAI-compatible servers (vLLM, Ollama, LM Studio, llama.cpp) list what they serve at
``GET {base_url}/models`` (OpenAI API reference, "List models":
``{"object": "list", "data": [{"id": "NAME", ...}, ...]}``). One model: use it. Several: the
user must choose (the error lists them). None, or the request fails: the usual "no model set"
configuration error.
"""

from __future__ import annotations

from typing import Any

from workbench.core.config import PRESETS, ConfigError

LIST_TIMEOUT = 5.0
"""Seconds the ``GET /models`` request may take (it runs before the first turn)."""
SHOWN = 20
"""At most this many names in the "several models" error."""


async def list_models(base_url: str, api_key: str | None, *, timeout: float = LIST_TIMEOUT) -> list[str]:
    """The model ids served at ``GET {base_url}/models`` (through the OpenAI SDK's ``models.list``).

    Raises:
        openai.OpenAIError: the request failed or answered an error status.
    """
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or "none", timeout=timeout, max_retries=0)
    try:
        page = await client.models.list()
        return [m.id for m in page.data if isinstance(getattr(m, "id", None), str) and m.id]
    finally:
        await client.close()


async def discover_model(llm: Any) -> str | None:
    """Set ``llm.model`` from the server when no model is configured.

    Args:
        llm: :class:`workbench.core.config.LLMSettings` (changed in place when a model is found).

    Returns:
        None when a model was already known; else a note for the user naming the model used.

    Raises:
        ConfigError: no model and the server lists several (the message lists them), lists none,
            or cannot be asked (the usual "no model set" message).
    """
    try:
        llm.resolved()
        return None
    except ConfigError as exc:
        original = exc
    r = llm.resolved(require_model=False)
    if r.base_url == PRESETS["openai"].base_url.rstrip("/"):
        raise original
    try:
        names = await list_models(r.base_url, r.api_key)
    except Exception:  # noqa: BLE001 - any failure to ask means "no discovery": today's message
        raise original from None
    if not names:
        raise original
    if len(names) > 1:
        shown = ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
        raise ConfigError(
            f"llm.model: no model set, and {r.base_url}/models lists {len(names)} models: {shown}. "
            'Choose one with --model NAME, WORKBENCH_LLM__MODEL, or model = "NAME" under [llm] in '
            ".workbench/config.toml."
        )
    llm.model = names[0]
    return f"using model {names[0]!r}, the only one {r.base_url}/models lists (set llm.model to choose another)"
