"""Every use of private Textual API, in one place, behind a version guard.

Workbench works around a few Textual behaviours that cost whole-screen repaints or swallow keys
(each module says which behaviour, where it lives in Textual's source and in which version it was
read). Those workarounds override or read private Textual members, which Textual may rename or
change in any release; a renamed hook would silently turn an override into dead code. So:

* the overrides live here only: :mod:`.patches` (global fixes installed by :func:`apply`),
  :mod:`.first_paint` (a screen's first layout and paint), :mod:`.scroll` (virtual size set from
  inside a layout pass), :mod:`.log` (``Log``'s line storage and line rendering) and
  :mod:`.text_area` (keys before ``TextArea`` edits the text);
* ``tests/ui/test_textual_compat.py`` checks each hook still exists with the signature used here
  and that Textual still behaves the way each workaround assumes;
* :func:`apply` refuses to run on a Textual outside :data:`TESTED` (unless
  ``WORKBENCH_UNTESTED_TEXTUAL=1``), and ``pyproject.toml`` pins the same range.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

TESTED: tuple[tuple[int, int], tuple[int, int]] = ((8, 2), (8, 3))
"""Textual versions tested: from ``TESTED[0]`` (included) to ``TESTED[1]`` (excluded), by
(major, minor); the same range as ``textual>=8.2,<8.3`` in ``pyproject.toml``."""
OVERRIDE_ENV = "WORKBENCH_UNTESTED_TEXTUAL"
"""Set to ``1`` to run on a Textual version outside :data:`TESTED` anyway."""


class UntestedTextualError(RuntimeError):
    """The installed Textual is outside :data:`TESTED` and the override is not set (the message
    names the installed version, the tested range and both ways out)."""


def tested_range() -> str:
    """The tested range as a pip requirement specifier, e.g. ``>=8.2,<8.3``."""
    (lo_major, lo_minor), (hi_major, hi_minor) = TESTED
    return f">={lo_major}.{lo_minor},<{hi_major}.{hi_minor}"


def check_version(installed: str, environ: Mapping[str, str] | None = None) -> None:
    """Refuse a Textual version outside :data:`TESTED`.

    Args:
        installed: the installed version string (PEP 440, e.g. ``"8.2.8"``, ``"9.0.0a1"``).
        environ: the environment to read :data:`OVERRIDE_ENV` from (default ``os.environ``).

    Raises:
        UntestedTextualError: the version is outside the range (or unreadable) and
            ``WORKBENCH_UNTESTED_TEXTUAL`` is not ``1``.
    """
    env = os.environ if environ is None else environ
    match = re.match(r"(\d+)\.(\d+)", installed)
    release = (int(match[1]), int(match[2])) if match else None
    if release is not None and TESTED[0] <= release < TESTED[1]:
        return
    if env.get(OVERRIDE_ENV) == "1":
        return
    raise UntestedTextualError(
        f"Textual {installed} is installed, but this Workbench is tested with Textual {tested_range()} "
        "only: it works around Textual internals that change between releases "
        "(workbench/ui/_textual_compat). Install a tested version "
        f"(pip install 'textual{tested_range()}'), or set {OVERRIDE_ENV}=1 to run anyway."
    )


def installed_version() -> str:
    """The installed Textual distribution's version (``"unknown"`` when it has no metadata)."""
    try:
        return _dist_version("textual")
    except PackageNotFoundError:
        return "unknown"


def apply() -> None:
    """Check the Textual version, then install the global fixes of :mod:`.patches` (idempotent).

    Called when the Workbench app module is imported.

    Raises:
        UntestedTextualError: see :func:`check_version`.
    """
    check_version(installed_version())
    from workbench.ui._textual_compat import patches

    patches.install()
