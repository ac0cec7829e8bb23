"""The Plugins pane: MCP servers of the workspace (state, tools, calls, stderr) and their keys."""
