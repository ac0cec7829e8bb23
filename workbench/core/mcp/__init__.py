"""MCP (Model Context Protocol, https://modelcontextprotocol.io) on both sides.

* :mod:`.plugins`: Workbench as an MCP *client*: ``.mcp.json`` plugin servers, their trust and
  tool approvals, supervision of their processes and connections, their tools for the agent;
* :mod:`.server`: Workbench as an MCP *server* (``workbench mcp serve``) for other agents.
"""
