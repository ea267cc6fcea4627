"""The edges: thin callers of the core. Nothing in the core imports them.

cli/            the tieswatch command, one module per command group
telegram/       the Telegram edge: wiring, sink, handlers for users, settings and admins
run.py          tieswatch run: scheduler, pipeline, outbox, Telegram or the terminal
admin_tasks.py  retrain in a worker thread, tell the admins
demo.py         tieswatch demo: sample feeds on loopback through the real pipeline
progress.py     progress bars on long work (tqdm), drawn only on a terminal
"""
