"""One router per page family of the console."""
