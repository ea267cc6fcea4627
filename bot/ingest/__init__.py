"""Ingest: feeds.yaml → fetch (conditional GET) → parse and normalise → items, every feed on its own.

feeds_yaml.py  the feed list, validated by line: urls, unique names, ISO 639-1 languages, intervals
feeds_edit.py  adding and removing entries: only their lines change, written atomically
fetch.py       one conditional GET per feed, with every limit
guard.py       the addresses a fetch may connect to (no loopback or private network unless allowed)
parse.py       feed bytes → Item records with stable ids and plain text
poll.py        fetch | parse | store, streaming, one transaction per feed; a failing feed is a value, and backs off
discover.py    from an address someone gave to the feed it means
opml.py        feed lists in and out as OPML
tuning.py      add, remove, resume, import feeds; how useful each has been
"""
