"""Telegram front end (python-telegram-bot 22): relays employees' messages to Rasa and back.

Built under the Telegram-bot issue; nothing here runs yet.
"""
