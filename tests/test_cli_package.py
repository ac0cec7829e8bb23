"""The CLI package's structure: every command line ends at its own command's handler."""

from __future__ import annotations

import argparse

from workbench.cli import COMMAND_MODULES, command_list, command_parser


def _leaf_parsers(parser: argparse.ArgumentParser, trail: tuple[str, ...] = ()):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield trail, parser
        return
    for name, child in subs[0].choices.items():
        yield from _leaf_parsers(child, (*trail, name))


def test_every_command_line_has_its_own_modules_handler() -> None:
    """Each leaf parser sets a handler defined in the module that registered the command."""
    leaves = list(_leaf_parsers(command_parser()))
    assert len(leaves) >= 20
    owners = {}
    for module in COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        __import__(module)
        import sys

        sys.modules[module].register(sub)
        owners.update({name: module for name in sub.choices})
    for trail, parser in leaves:
        handler = parser.get_default("handler")
        if handler is None:  # set on the command's own parser (spec, sandbox, export...)
            handler = command_parser()._subparsers._group_actions[0].choices[trail[0]].get_default("handler")
        assert handler is not None, trail
        assert handler.__module__ == owners[trail[0]], (trail, handler.__module__)


def test_no_cli_attribute_is_shadowed_by_a_subpackage() -> None:
    """Importing ``workbench.cli.commands.*`` sets the attribute ``commands`` on the package: a
    function of that name would be replaced by the subpackage (it failed in CI, order-dependent)."""
    import importlib
    import pkgutil

    import workbench.cli as cli

    for info in pkgutil.iter_modules(cli.__path__):
        importlib.import_module(f"workbench.cli.{info.name}")
    assert callable(cli.command_list) and callable(cli.command_parser)


def test_command_names_are_unique_and_listed() -> None:
    names = [name for name, _ in command_list()]
    assert len(names) == len(set(names))
    assert {"run", "export", "sandbox", "spec", "mcp", "config", "checkpoints", "rewind", "gc"} <= set(names)


def test_spec_parser_doc_kinds_match_the_core() -> None:
    from workbench.cli.spec import DOCS
    from workbench.core.specs.models import DOC_KINDS

    assert DOCS == DOC_KINDS


def test_path_after_nested_subcommand_and_before_it() -> None:
    p = command_parser()
    assert p.parse_args(["spec", "list", "--path", "X"]).path == "X"
    assert p.parse_args(["spec", "--path", "Y", "list"]).path == "Y"
    assert p.parse_args(["sandbox", "status", "--path", "Z"]).path == "Z"


def test_every_command_line_takes_path_after_the_command() -> None:
    """One workspace convention: ``--path`` after the (sub-)command, everywhere but ``demo``."""
    for trail, parser in _leaf_parsers(command_parser()):
        if trail == ("demo",):
            continue
        options = {s for a in parser._actions for s in a.option_strings}
        assert "--path" in options, trail
