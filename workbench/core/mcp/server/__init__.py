"""Workbench as an MCP server: ``workbench mcp serve [PATH]`` (stdio).

* :mod:`.queries`: the answers (specs, sessions, journal, state recovery), plain blocking functions;
* :mod:`.server`: the SDK adapter, :func:`~.server.build_server` and :func:`~.server.serve_stdio`.

Nothing is imported eagerly; the ``mcp`` SDK loads only when a server is built.
"""
