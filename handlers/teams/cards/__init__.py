"""Adaptive Card renderers: pure functions from core data classes to card dicts."""
