"""Konsol BKPSDM: the HR web console (FastAPI, server-rendered Jinja2, htmx)."""
