"""Deliver: scores → alerts → per-subscriber deliveries (the outbox) → Telegram or the terminal.

decide.py         pure rules: which items alert, who gets what and when
render.py         pure: every message as Telegram HTML, buttons as data
outbox.py         sends what is due, within Telegram's limits; the governor
console.py        the sink that prints alerts to the terminal
subscriptions.py  subscribing, unsubscribing, each setting
"""
