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
from typing import Any, Iterable

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

    def add_secret(self, value: str | None) -> None:
        """Redact this exact value from now on."""
        if value and len(value) >= 6 and value not in self._secrets:
            self._secrets.append(value)
            self._secrets.sort(key=len, reverse=True)

    @classmethod
    def from_environment(cls, names: Iterable[str], secrets: Iterable[str | None] = (), patterns: Iterable[str] = ()) -> "Redactor":
        """A redactor for ``secrets`` plus the values of the environment variables ``names``."""
        values = [os.environ.get(n) for n in names]
        return cls([*secrets, *values], patterns)

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
