"""Reading free-text replies: Lean wastes, MLOps concerns, hours lost, models and themes.

Everything here is platform-free, offline and deterministic, so the same reply always gets the
same labels whether it arrived from Slack, Teams, the sandbox or ``kaizen analyze``.
"""
