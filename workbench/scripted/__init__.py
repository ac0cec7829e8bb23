"""Test helpers shipped with the package: the scripted OpenAI-compatible server."""
