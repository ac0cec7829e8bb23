"""The coding agent: the OpenAI function-calling loop, tool dispatch, approvals, context."""
