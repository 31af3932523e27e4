"""Core services: async, platform-free units of work over a ``Database``.

Each function opens its own short session and commits what it did, so adapters call them
without thinking about transactions, and never hold one open across a call to Slack or Teams.
"""
