"""The installed wheel holds every file Workbench reads at run time."""

from __future__ import annotations

import json
import subprocess

from .conftest import REPO

PROBE = r"""
import json, pathlib, workbench, workbench.ui.themes as t
pkg = pathlib.Path(workbench.__file__).parent
themes, problems = t.load_themes()
print(json.dumps({
    "pkg": str(pkg),
    "files": sorted(str(p.relative_to(pkg)) for p in pkg.rglob("*") if p.is_file() and p.suffix in (".tcss", ".toml", ".md", ".py")),
    "theme_dirs": [str(d) for d in t.theme_dirs()],
    "themes": sorted(x.theme.name for x in themes),
    "problems": problems,
}))
"""


def _probe(venv_python, wb_env) -> dict:
    proc = subprocess.run([str(venv_python), "-c", PROBE], capture_output=True, text=True, timeout=120, env=wb_env, cwd="/")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_installed_package_is_outside_the_repo_and_has_runtime_files(venv_python, wb_env) -> None:
    info = _probe(venv_python, wb_env)
    assert not info["pkg"].startswith(str(REPO)), info["pkg"]
    files = set(info["files"])
    for tcss in REPO.joinpath("workbench").rglob("*.tcss"):
        assert str(tcss.relative_to(REPO / "workbench")) in files
    assert "ui/specs/review.tcss" in files and "ui/app.tcss" in files
    for theme in (REPO / "themes").glob("*.toml"):
        assert f"themes/{theme.name}" in files
    assert "demo_project/AGENTS.md" in files and "demo_project/.workbench/specs/history/requirements.md" in files


def test_bundled_themes_load_from_the_installed_wheel(venv_python, wb_env) -> None:
    info = _probe(venv_python, wb_env)
    assert info["theme_dirs"][0].startswith(info["pkg"])
    assert {"workbench-dark", "workbench-light"} <= set(info["themes"])
    assert info["problems"] == []


def test_demo_sample_project_is_installed(venv_python, wb_env, tmp_path) -> None:
    code = (
        "import pathlib, workbench.cli.commands.demo as d; p = d.prepare_sample(pathlib.Path(__import__('sys').argv[1])); "
        "print(sorted(str(x.relative_to(p)) for x in p.rglob('*') if x.is_file()))"
    )
    proc = subprocess.run([str(venv_python), "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60, env=wb_env)
    assert proc.returncode == 0, proc.stderr
    assert "src/calc/__init__.py" in proc.stdout and "tests/test_calc.py" in proc.stdout


def test_every_module_of_the_source_tree_is_in_the_wheel(venv_python, wb_env) -> None:
    """A folder without ``__init__.py`` is skipped by ``find_packages``: the installed app then
    hung at "Loading..." (``workbench/ui/chat`` was missing from the wheel). Every ``.py`` file of
    the source tree must be installed, and the app module must import from the wheel."""
    info = _probe(venv_python, wb_env)
    files = set(info["files"])
    src = REPO / "workbench"
    missing = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if "__pycache__" not in p.parts and str(p.relative_to(src)) not in files
    ]
    assert missing == []
    proc = subprocess.run(
        [str(venv_python), "-c", "import workbench.ui.app, workbench.ui.chat.pane, workbench.ui.containers.pane"],
        capture_output=True,
        text=True,
        timeout=120,
        env=wb_env,
        cwd="/",
    )
    assert proc.returncode == 0, proc.stderr
