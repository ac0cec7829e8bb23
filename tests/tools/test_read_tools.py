"""read_file, list_dir, glob, grep (Python engine, and ripgrep when installed) and argument validation."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from workbench.core.tools.base import ToolArgumentsError, ToolContext, ToolError, validate_arguments
from workbench.core.tools.grep import GrepTool
from workbench.core.tools.pathguard import PathRefused


def _lines(n: int) -> str:
    return "".join(f"line {i}\n" for i in range(1, n + 1))


def _numbered(start: int, stop: int) -> str:
    return "".join(f"{i:>6}\tline {i}\n" for i in range(start, stop + 1))


async def test_read_whole_file_has_header(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "a.txt").write_text(_lines(3))
    result = await tools["read_file"].run({"path": "a.txt"}, ctx)
    assert result.content == "[read_file a.txt: lines 1-3 of 3]\n" + _numbered(1, 3)
    assert result.summary == "read a.txt lines 1-3 of 3"
    assert not result.is_error and result.changed_paths == []


async def test_read_range_and_errors(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "a.txt").write_text(_lines(10))
    result = await tools["read_file"].run({"path": "a.txt", "offset": 4, "limit": 2}, ctx)
    assert (
        result.content
        == "[read_file a.txt: lines 4-5 of 10; 5 more lines: call again with offset=6 to read on]\n" + _numbered(4, 5)
    )
    result = await tools["read_file"].run({"path": "a.txt", "offset": 9, "limit": 50}, ctx)
    assert result.content == "[read_file a.txt: lines 9-10 of 10]\n" + _numbered(9, 10)
    with pytest.raises(ToolError, match="offset 11 is past the end of 'a.txt', which has 10 lines"):
        await tools["read_file"].run({"path": "a.txt", "offset": 11}, ctx)


async def test_read_size_cap_says_where_to_continue(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "big.txt").write_text(_lines(2000))  # ~18 KB, cap is 4096 bytes
    result = await tools["read_file"].run({"path": "big.txt"}, ctx)
    header, _, body = result.content.partition("\n")
    assert header.startswith("[read_file big.txt: lines 1-")
    assert "of 2000; output cut at 4096 bytes: call again with offset=" in header
    assert len(body.encode()) <= 4096
    last = int(header.split("lines 1-")[1].split(" ")[0])
    assert body.splitlines()[-1] == f"{last:>6}\tline {last}"
    nxt = int(header.split("offset=")[1].split(" ")[0])
    assert nxt == last + 1
    again = await tools["read_file"].run({"path": "big.txt", "offset": nxt}, ctx)
    assert again.content.splitlines()[1] == f"{nxt:>6}\tline {nxt}"


async def test_read_line_limit_default(ws: Path, tools) -> None:
    (ws / "many.txt").write_text("x\n" * 5000)
    result = await tools["read_file"].run({"path": "many.txt"}, ToolContext(ws))
    assert result.content.startswith("[read_file many.txt: lines 1-2000 of 5000; 3000 more lines: call again with offset=2001")
    assert len(result.content.splitlines()) == 2001


async def test_read_large_file_streams(ws: Path, tools) -> None:
    (ws / "huge.txt").write_text(_lines(600_000))  # > 4 MiB: streaming branch
    ctx = ToolContext(ws)
    result = await tools["read_file"].run({"path": "huge.txt", "offset": 500_000, "limit": 2}, ctx)
    assert result.content.startswith("[read_file huge.txt: lines 500000-500001 of 600000; ")
    assert result.content.endswith("\n" + _numbered(500_000, 500_001))


async def test_one_giant_line_can_be_read_to_its_end(ws: Path, ctx: ToolContext, tools) -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(50_000))
    (ws / "min.js").write_text(text + "\nnext\n")
    first = (await tools["read_file"].run({"path": "min.js"}, ctx)).content
    assert len(first.encode()) <= 4096 + 300
    assert "line 1 is cut at character 2000 of 50000; read_file with offset=1 and char_offset=2000 reads on" in first
    assert first.splitlines()[-1] == "     2\tnext"
    got, at = text[:2000], 2000
    while True:
        r = (await tools["read_file"].run({"path": "min.js", "offset": 1, "char_offset": at}, ctx)).content
        header, _, body = r.partition("\n")
        assert len(body.encode()) <= 4096 + 1
        got += body[:-1]
        if "char_offset=" not in header:
            break
        at = int(header.split("char_offset=")[1].rstrip("]"))
    assert got == text


async def test_read_crlf_and_latin1(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "dos.txt").write_bytes(b"a\r\nb\r\n")
    assert (
        await tools["read_file"].run({"path": "dos.txt"}, ctx)
    ).content == "[read_file dos.txt: lines 1-2 of 2]\n     1\ta\n     2\tb\n"
    (ws / "l1.txt").write_bytes("café\n".encode("latin-1"))
    r = (await tools["read_file"].run({"path": "l1.txt"}, ctx)).content
    assert r == "[read_file l1.txt: lines 1-1 of 1, decoded as cp1252]\n     1\tcafé\n"  # Latin-1 text is the same in cp1252


async def test_read_empty_binary_dir_missing(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "empty.txt").write_text("")
    (ws / "bin.dat").write_bytes(b"\x89PNG\x00\x01")
    (ws / "d").mkdir()
    assert (await tools["read_file"].run({"path": "empty.txt"}, ctx)).content == "[read_file empty.txt: empty file (0 lines)]\n"
    with pytest.raises(ToolError, match="looks binary"):
        await tools["read_file"].run({"path": "bin.dat"}, ctx)
    with pytest.raises(ToolError, match="'d' is a directory; use list_dir"):
        await tools["read_file"].run({"path": "d"}, ctx)
    with pytest.raises(ToolError, match="'nope.txt' does not exist"):
        await tools["read_file"].run({"path": "nope.txt"}, ctx)


async def test_read_refuses_symlinks_and_escapes(ws: Path, outside: Path, ctx: ToolContext, tools) -> None:
    (ws / "f").symlink_to(outside / "secret.txt")
    (ws / "d").symlink_to(outside)
    for rel in ("f", "d/secret.txt", "../outside/secret.txt", str(outside / "secret.txt")):
        with pytest.raises(PathRefused):
            await tools["read_file"].run({"path": rel}, ctx)


async def test_list_dir(ws: Path, outside: Path, tools) -> None:
    (ws / "src").mkdir()
    (ws / "b.txt").write_text("12345")
    (ws / "a.txt").write_text("")
    (ws / "link").symlink_to(outside)
    result = await tools["list_dir"].run({}, ToolContext(ws))
    assert result.content == "[list_dir .: 4 entries]\nsrc/\na.txt  0\nb.txt  5\nlink@  (symlink, not followed)\n"
    with pytest.raises(PathRefused):
        await tools["list_dir"].run({"path": "link"}, ToolContext(ws))
    with pytest.raises(ToolError, match="not a directory"):
        await tools["list_dir"].run({"path": "a.txt"}, ToolContext(ws))


async def test_list_dir_cap(ws: Path, ctx: ToolContext, tools) -> None:
    for i in range(8):
        (ws / f"f{i}").write_text("")
    result = await tools["list_dir"].run({"path": "."}, ctx)
    assert result.content.splitlines()[0] == "[list_dir .: 8 entries]"
    assert result.content.splitlines()[-1] == "... 3 more entries not shown (cap 5); list a subdirectory"


def _tree(ws: Path, outside: Path) -> None:
    for rel in ("a.py", "src/b.py", "src/deep/c.py", "src/deep/d.txt", ".git/e.py", "sub/.git/f.py"):
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(f"needle in {rel}\nhaystack\n")
    (ws / "escape").symlink_to(outside)
    (outside / "x.py").write_text("needle outside\n")


async def test_glob(ws: Path, outside: Path, ctx: ToolContext, tools) -> None:
    _tree(ws, outside)
    glob = tools["glob"]
    assert (await glob.run({"pattern": "*.py"}, ctx)).content == ("[glob '*.py' in .: 3 files]\na.py\nsrc/b.py\nsrc/deep/c.py\n")
    assert (await glob.run({"pattern": "src/*.py"}, ctx)).content.splitlines()[1:] == ["src/b.py"]
    assert (await glob.run({"pattern": "**/deep/*"}, ctx)).content.splitlines()[1:] == ["src/deep/c.py", "src/deep/d.txt"]
    assert (await glob.run({"pattern": "deep/*.py", "path": "src"}, ctx)).content.splitlines()[1:] == ["src/deep/c.py"]
    many = await glob.run({"pattern": "**"}, ctx)
    assert many.content.splitlines()[1:] == ["a.py", "src/b.py", "src/deep/c.py", "src/deep/d.txt"]
    assert "x.py" not in many.content  # the symlinked folder is not followed
    with pytest.raises(PathRefused):
        await glob.run({"pattern": "*", "path": "escape"}, ctx)


@pytest.fixture(params=["python", "rg"])
def grep(request) -> GrepTool:
    """The grep tool with each engine; the rg engine needs ripgrep installed (apt: ripgrep)."""
    if request.param == "rg" and shutil.which("rg") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("ripgrep (rg) is missing in CI: .ci/run installs it (apt: ripgrep)")
        pytest.skip("ripgrep (rg) is not installed; the Python engine is tested")
    return GrepTool(engine=request.param)


async def test_grep_results_skip_git_binary_and_symlinks(ws: Path, outside: Path, ctx: ToolContext, grep) -> None:
    _tree(ws, outside)
    (ws / "bin.dat").write_bytes(b"needle\x00\x01")
    result = await grep.run({"pattern": "need+le"}, ctx)
    engine = "ripgrep" if grep.engine == "rg" else "python"
    assert result.content == (
        f"[grep 'need+le' in .: 4 matches in 4 files ({engine})]\n"
        "a.py:1: needle in a.py\nsrc/b.py:1: needle in src/b.py\nsrc/deep/c.py:1: needle in src/deep/c.py\n"
        "src/deep/d.txt:1: needle in src/deep/d.txt\n"
    )


async def test_grep_path_glob_case_and_lines(ws: Path, outside: Path, ctx: ToolContext, grep) -> None:
    _tree(ws, outside)
    (ws / "src" / "deep" / "d.txt").write_text("one\nTwo NEEDLE\nthree\nneedle needle\n")
    hits = (await grep.run({"pattern": "needle", "path": "src/deep", "glob": "*.txt", "ignore_case": True}, ctx)).content
    assert hits.splitlines()[1:] == ["src/deep/d.txt:2: Two NEEDLE", "src/deep/d.txt:4: needle needle"]
    one = (await grep.run({"pattern": "^hay", "path": "a.py"}, ctx)).content
    assert one.splitlines()[1:] == ["a.py:2: haystack"]
    none = (await grep.run({"pattern": "zzz"}, ctx)).content
    assert none.startswith("[grep 'zzz' in .: 0 matches in 0 files")
    with pytest.raises(PathRefused):
        await grep.run({"pattern": "needle", "path": "escape"}, ctx)
    with pytest.raises(ToolError, match="does not exist"):
        await grep.run({"pattern": "needle", "path": "missing"}, ctx)


async def test_grep_cap_and_long_lines(ws: Path, ctx: ToolContext, grep) -> None:
    (ws / "many.txt").write_text("".join(f"hit {i}\n" for i in range(20)) + "hit " + "x" * 1000 + "\n")
    result = await grep.run({"pattern": "hit"}, ctx)
    lines = result.content.splitlines()
    assert "first 5 of 21 matches (truncated)" in lines[0]
    assert lines[1:6] == [f"many.txt:{i + 1}: hit {i}" for i in range(5)]
    assert lines[-1] == "... 16 more matches not shown (cap 5); narrow the pattern, path or glob"
    long = (await grep.run({"pattern": "x{100}"}, ctx)).content.splitlines()[1]
    assert long.startswith("many.txt:21: hit xxx") and long.endswith("...") and len(long) < 330


async def test_grep_bad_regex(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match=r"invalid regular expression '\(unclosed': missing \), unterminated subpattern"):
        await GrepTool(engine="python").run({"pattern": "(unclosed"}, ctx)


async def test_grep_python_only_regex_falls_back_from_rg(ws: Path, ctx: ToolContext) -> None:
    (ws / "a.txt").write_text("foobar\nfoobaz\n")
    result = await GrepTool().run({"pattern": "foo(?!bar)"}, ctx)
    assert result.content.splitlines()[1:] == ["a.txt:2: foobaz"]
    assert "(python)" in result.content.splitlines()[0]


def test_validate_arguments(tools) -> None:
    spec = tools["read_file"].spec
    assert validate_arguments(spec, '{"path": "a.py", "limit": 3}') == {"path": "a.py", "limit": 3}
    with pytest.raises(ToolArgumentsError, match=r"not valid JSON: Expecting ',' delimiter at line 1 column 17 \(char 16\)"):
        validate_arguments(spec, '{"path": "a.py" "x": 1}')
    with pytest.raises(ToolArgumentsError, match="'path' is a required property"):
        validate_arguments(spec, "{}")
    with pytest.raises(ToolArgumentsError, match="'offset': 0 is less than the minimum of 1"):
        validate_arguments(spec, '{"path": "a", "offset": 0}')
    with pytest.raises(ToolArgumentsError, match=r"Additional properties are not allowed \('colour' was unexpected\)"):
        validate_arguments(spec, '{"path": "a", "colour": 1}')
    with pytest.raises(ToolArgumentsError, match="must be a JSON object, got list"):
        validate_arguments(spec, "[1]")
    assert validate_arguments(tools["list_dir"].spec, "") == {}


def test_specs_are_openai_tools(tools) -> None:
    assert list(tools) == [
        "read_file",
        "list_dir",
        "glob",
        "grep",
        "write_file",
        "edit_file",
        "multi_edit",
        "delete_file",
        "move_file",
    ]
    for tool in tools.values():
        entry = tool.spec.to_openai()
        assert entry["type"] == "function" and entry["function"]["name"] == tool.spec.name
        assert tool.spec.mutates == (tool.spec.kind == "write")
    assert os.environ.get("PATH")  # sanity: rg lookup uses PATH


async def test_read_edge_lines(ws: Path, ctx: ToolContext, tools) -> None:
    (ws / "nonl.txt").write_text("a\nb")
    assert (
        await tools["read_file"].run({"path": "nonl.txt"}, ctx)
    ).content == "[read_file nonl.txt: lines 1-2 of 2]\n     1\ta\n     2\tb\n"
    r = await tools["read_file"].run({"path": "nonl.txt", "offset": 2}, ctx)
    assert r.content == "[read_file nonl.txt: lines 2-2 of 2]\n     2\tb\n"


async def test_grep_context_and_files_only(ws: Path, ctx: ToolContext, grep) -> None:
    engine = "ripgrep" if grep.engine == "rg" else "python"
    (ws / "a.txt").write_text("".join(f"l{i}\n" for i in range(1, 11)).replace("l3\n", "hit3\n").replace("l9\n", "hit9\n"))
    (ws / "b.txt").write_text("hit\n")
    (ws / "c.txt").write_text("nothing\n")
    out = (await grep.run({"pattern": "hit", "context": 1}, ctx)).content
    assert out == (
        f"[grep 'hit' in .: 3 matches in 2 files ({engine})]\n"
        "a.txt-2- l2\na.txt:3: hit3\na.txt-4- l4\n--\na.txt-8- l8\na.txt:9: hit9\na.txt-10- l10\n--\nb.txt:1: hit\n"
    )
    out = (await grep.run({"pattern": "hit", "after": 2, "path": "a.txt"}, ctx)).content
    assert out.splitlines()[1:] == ["a.txt:3: hit3", "a.txt-4- l4", "a.txt-5- l5", "--", "a.txt:9: hit9", "a.txt-10- l10"]
    out = (await grep.run({"pattern": "hit", "files_only": True}, ctx)).content
    assert out == f"[grep 'hit' in .: 2 files with matches ({engine})]\na.txt\nb.txt\n"
    out = (await grep.run({"pattern": "hit", "files_only": True, "max_results": 1}, ctx)).content
    assert out.splitlines() == [
        f"[grep 'hit' in .: first 1 of 2 files with matches (truncated) ({engine})]",
        "a.txt",
        "... 1 more files not shown (cap 1); narrow the pattern, path or glob",
    ]
    out = (await grep.run({"pattern": "hit", "max_results": 2}, ctx)).content
    assert out.splitlines()[0] == f"[grep 'hit' in .: first 2 of 3 matches (truncated) ({engine})]"
    assert out.splitlines()[-1] == "... 1 more matches not shown (cap 2); narrow the pattern, path or glob"


async def test_grep_counts_what_the_cap_hides(ws: Path, ctx: ToolContext, grep) -> None:
    engine = "ripgrep" if grep.engine == "rg" else "python"
    for k in range(4):
        (ws / f"m{k}.txt").write_text("".join(f"hit {i}\nx\n" for i in range(10)))
    out = (await grep.run({"pattern": "hit", "max_results": 3, "context": 1}, ctx)).content.splitlines()
    assert out[0] == f"[grep 'hit' in .: first 3 of 40 matches (truncated) ({engine})]"
    assert out[-1] == "... 37 more matches not shown (cap 3); narrow the pattern, path or glob"
    assert "--" not in out[-2:] and all(line.startswith("m0.txt") for line in out[1:-1])
    out = (await grep.run({"pattern": "hit", "files_only": True, "max_results": 1}, ctx)).content.splitlines()
    assert out == [
        f"[grep 'hit' in .: first 1 of 4 files with matches (truncated) ({engine})]",
        "m0.txt",
        "... 3 more files not shown (cap 1); narrow the pattern, path or glob",
    ]
