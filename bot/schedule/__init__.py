"""Scheduling: when check-ins, reminders, summaries and digests happen, in local time."""
