"""`python -m scheduler`: run the scheduler process (reminders and scheduled broadcasts)."""

from scheduler.app import main

main()
