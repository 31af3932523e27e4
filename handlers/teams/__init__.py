"""Microsoft Teams adapter: Teams SDK app, listeners and Adaptive Card renderers."""
