"""Reminders and scheduled broadcasts (APScheduler 3.11), feeding the outbox.

Built under the reminders-and-broadcasts issue; nothing here runs yet.
"""
