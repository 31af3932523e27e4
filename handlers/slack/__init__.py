"""Slack adapter: Bolt app, listeners and Block Kit renderers."""
