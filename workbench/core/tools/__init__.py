"""Built-in file tools, the path guard and permission rules (issue 3).

Modules: ``base`` (types, argument validation), ``pathguard`` (workspace path safety),
``read_tools`` / ``grep`` / ``write_tools`` / ``edit_tools`` (the tools), ``textcodec`` (how file
bytes become text and back: encoding and line endings), ``permissions`` (modes, rules, decisions),
``globmatch`` (the glob dialect of rules and filters). This ``__init__`` stays light: the tool
modules are imported when :func:`builtin_tools` is first called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.core.tools.base import Tool


def builtin_tools() -> list[Tool]:
    """Return fresh instances of the built-in tools, in the order they are offered to the model.

    ``read_file``, ``list_dir``, ``glob``, ``grep``, ``write_file``, ``edit_file``, ``multi_edit``,
    ``delete_file``, ``move_file``. (``run_command`` arrives with the sandbox.)
    """
    from workbench.core.tools.edit_tools import EditFileTool, MultiEditTool
    from workbench.core.tools.grep import GrepTool
    from workbench.core.tools.read_tools import GlobTool, ListDirTool, ReadFileTool
    from workbench.core.tools.write_tools import DeleteFileTool, MoveFileTool, WriteFileTool

    return [
        ReadFileTool(),
        ListDirTool(),
        GlobTool(),
        GrepTool(),
        WriteFileTool(),
        EditFileTool(),
        MultiEditTool(),
        DeleteFileTool(),
        MoveFileTool(),
    ]


__all__ = ["builtin_tools"]
