"""Block Kit renderers: pure functions from core data classes to plain dicts."""
