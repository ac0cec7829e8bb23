"""Theme files: TOML in the top-level ``themes/`` folder (and ``<user config dir>/themes``).

Each file holds the fields of :class:`textual.theme.Theme` (name, dark, primary, secondary,
accent, foreground, background, surface, panel, success, warning, error, ``[variables]``) plus
``code_theme`` (a Pygments style for code blocks). Files are validated here; an invalid file is
reported (file, key, reason) and skipped, never fatal.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

COLOR_KEYS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel", "success", "warning", "error")
ALLOWED_KEYS = {"name", "dark", "code_theme", "variables", *COLOR_KEYS}


@dataclass(frozen=True)
class LoadedTheme:
    """A validated theme file: the Textual theme, its Pygments code style and its source file."""

    theme: Theme
    code_theme: str
    path: Path


def theme_dirs() -> list[Path]:
    """Folders searched for ``*.toml`` themes: the bundled ones, then the user's.

    The bundled themes are ``workbench/themes/`` in an installed wheel (setup.py maps the
    repository's top-level ``themes/`` there) and ``themes/`` next to the package in a checkout.
    """
    from workbench.core.paths import config_home

    package = Path(__file__).resolve().parents[1]
    installed, checkout = package / "themes", package.parent / "themes"
    return [installed if installed.is_dir() else checkout, config_home() / "themes"]


def parse_theme(path: Path) -> LoadedTheme:
    """Read and validate one theme file.

    Raises:
        ValueError: invalid TOML, an unknown key, a missing ``primary``/``name`` or a bad colour;
            the message names the file and the key.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: invalid TOML: {exc}") from exc
    unknown = set(data) - ALLOWED_KEYS
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(ALLOWED_KEYS))}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{path}: key 'name' is required (a non-empty string)")
    if "primary" not in data:
        raise ValueError(f"{path}: key 'primary' is required (a colour such as \"#5FA8FF\")")
    colors: dict[str, str] = {}
    for key in COLOR_KEYS:
        if key in data:
            try:
                Color.parse(data[key])
            except (ColorParseError, TypeError) as exc:
                raise ValueError(f'{path}: key {key!r}: {data[key]!r} is not a colour (use "#RRGGBB")') from exc
            colors[key] = data[key]
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ValueError(f"{path}: [variables] must map names to strings")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ValueError(f"{path}: key 'dark' must be true or false")
    code_theme = data.get("code_theme", "monokai" if dark else "default")
    return LoadedTheme(Theme(name=name, dark=dark, variables=dict(variables), **colors), str(code_theme), path)


def load_themes() -> tuple[list[LoadedTheme], list[str]]:
    """Load every theme file found; returns (themes, problems), problems as one line each."""
    themes: list[LoadedTheme] = []
    problems: list[str] = []
    for folder in theme_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                themes.append(parse_theme(path))
            except (ValueError, OSError) as exc:
                problems.append(str(exc))
    return themes, problems
