"""Reminders and scheduled broadcasts (APScheduler 3.11), feeding the outbox.

`python -m scheduler` runs the scheduler (one leader at a time); `python -m scheduler.dispatcher`
sends the outbox.
"""
