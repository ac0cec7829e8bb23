"""Secret redaction at the single write path of the event log.

Everything downstream of the log (the screen, ``run --json``, the journal, exports, the MCP server)
reads events, so redacting in :meth:`EventStore.append_many` keeps secrets out of all of them.
Redacted: the exact values of known secrets (API keys in use, environment variables named in
``[redact] env``) and common token shapes:

* OpenAI-style keys ``sk-...`` (incl. ``sk-proj-``), Anthropic ``sk-ant-...``;
* GitHub tokens ``ghp_/gho_/ghu_/ghs_/ghr_...`` and ``github_pat_...``
  (https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/);
* AWS access key ids ``AKIA/ASIA...`` and ``aws_secret_access_key = ...`` values
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html);
* Slack tokens ``xox[abprs]-...``; Google API keys ``AIza...``;
* ``Authorization: Bearer ...`` / ``Bearer ...`` tokens;
* PEM private key blocks (``-----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----``, RFC 7468).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

MASK = "[REDACTED]"

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("private key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)")),
    ("openai key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}")),
    ("github token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("aws key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("aws secret", re.compile(r"(?i)(aws_secret_access_key\s*[=:]\s*['\"]?)[A-Za-z0-9/+=]{40}")),
    ("slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("google api key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("bearer token", re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9_\-\.=+/]{12,}")),
]


class Redactor:
    """Replaces secrets in strings (and in nested dicts/lists) with ``[REDACTED]``.

    Args:
        secrets: exact secret values (shorter than 6 characters are ignored: too many false hits).
        patterns: extra regular expressions (strings) to redact.
    """

    def __init__(self, secrets: Iterable[str | None] = (), patterns: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        for s in secrets:
            self.add_secret(s)
        self._patterns = list(PATTERNS) + [("configured", re.compile(p)) for p in patterns]

    @property
    def patterns(self) -> tuple[tuple[str, re.Pattern[str]], ...]:
        """The token-shape and configured patterns, as ``(label, compiled)``."""
        return tuple(self._patterns)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The exact values redacted (longest first)."""
        return tuple(self._secrets)

    def add_secret(self, value: str | None) -> None:
        """Redact this exact value from now on."""
        if value and len(value) >= 6 and value not in self._secrets:
            self._secrets.append(value)
            self._secrets.sort(key=len, reverse=True)

    @classmethod
    def from_environment(cls, names: Iterable[str], secrets: Iterable[str | None] = (), patterns: Iterable[str] = ()) -> Redactor:
        """A redactor for ``secrets`` plus the values of the environment variables ``names``."""
        values = [os.environ.get(n) for n in names]
        return cls([*secrets, *values], patterns)

    @classmethod
    def for_settings(cls, settings: Any, secrets: Iterable[str | None] = ()) -> Redactor:
        """The redactor of a session: API key variables of every provider preset, ``OPENAI_API_KEY``,
        the ``[redact] env`` values and patterns, the configured ``llm.api_key``, plus ``secrets``.

        Args:
            settings: A :class:`~workbench.core.config.Settings`.
            secrets: More exact values (e.g. the key the client was built with).
        """
        from workbench.core.config import PRESETS

        names = ["OPENAI_API_KEY", *(p.key_env for p in PRESETS.values()), *settings.redact.env]
        key = getattr(settings.llm, "api_key", None)
        key = key.get_secret_value() if key is not None and hasattr(key, "get_secret_value") else key
        return cls.from_environment(names, [key, *secrets], settings.redact.patterns)

    def text(self, value: str) -> str:
        """Redact one string."""
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        for _, pattern in self._patterns:
            if pattern.groups:
                value = pattern.sub(lambda m: m.group(1) + MASK, value)
            else:
                value = pattern.sub(MASK, value)
        return value

    def __call__(self, obj: Any) -> Any:
        """Redact every string inside ``obj`` (dicts, lists, tuples), returning a new object."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return {k: self(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self(v) for v in obj]
        return obj


HOLD_CONTEXT = 48
"""Characters kept back before a trailing word, so a prefix pattern (``Bearer ``,
``aws_secret_access_key = ``) is still in front of its token when the token completes."""
MAX_HOLD = 16_384
"""At most this many characters are kept back (a PEM block of a 4096-bit RSA key is ~3.3k)."""
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY-----")


class StreamRedactor:
    """Redacts a text stream chunk by chunk, keeping back the tail that could still become a secret.

    Per-chunk redaction misses a key split across chunks (``sk-ab`` + ``cdef…``). This keeps back,
    after each chunk: the trailing word (a run without whitespace: every token shape above is one)
    plus :data:`HOLD_CONTEXT` characters before it, cut back to a whitespace boundary; then the cut
    moves back to the start of any pattern match or exact secret crossing it (an unterminated
    ``-----BEGIN`` block matches up to the end, so it is held whole), and of any suffix that is a
    prefix of an exact secret. What is released is redacted by the wrapped
    :class:`Redactor` as a whole, so it never holds part of a secret. At most :data:`MAX_HOLD`
    characters are kept; :meth:`flush` releases the rest at the end of the stream.

    Args:
        redactor: Supplies the exact secrets and the patterns.
    """

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._buf = ""

    def feed(self, chunk: str) -> str:
        """Add ``chunk``; return the redacted text that is safe to release now (may be ``""``)."""
        if not chunk:
            return ""
        buf = self._buf + chunk
        cut = self._safe_cut(buf)
        self._buf = buf[cut:]
        return self.redactor.text(buf[:cut]) if cut else ""

    def flush(self) -> str:
        """Return the redacted rest of the stream and reset."""
        rest, self._buf = self._buf, ""
        return self.redactor.text(rest) if rest else ""

    @property
    def pending(self) -> int:
        """Characters currently kept back."""
        return len(self._buf)

    def _safe_cut(self, buf: str) -> int:
        n = len(buf)
        floor = max(0, n - MAX_HOLD)
        cut = n
        # the trailing word, then some context before it, back to a whitespace boundary
        i = n
        while i > floor and not buf[i - 1].isspace():
            i -= 1
        i = max(floor, i - HOLD_CONTEXT)
        while i > floor and not buf[i - 1].isspace():
            i -= 1
        cut = i
        # no match may cross the cut (a PEM block, "Bearer <token>"): move it to the match's start;
        # an unterminated PEM block matches up to the end, so it is held whole until its END line
        moved = True
        while moved:
            moved = False
            for _, pattern in self.redactor.patterns:
                for m in pattern.finditer(buf, floor):
                    if m.start() < cut < m.end():
                        cut, moved = m.start(), True
            # exact secrets: an occurrence crossing the cut, or a suffix that starts one
            for secret in self.redactor.secrets:
                size = len(secret)
                for start in range(max(floor, cut - size + 1), cut):
                    piece = buf[start : start + size]
                    if secret.startswith(piece) if start + size > n else piece == secret:
                        cut, moved = start, True
                        break
        cut = max(cut, floor)
        # never release up to a position inside a word started before it, unless forced
        while cut > floor and cut < n and not buf[cut - 1].isspace() and not buf[cut].isspace():
            cut -= 1
        return cut
