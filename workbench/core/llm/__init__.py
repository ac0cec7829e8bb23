"""OpenAI-compatible chat completions: streaming client and error mapping."""
