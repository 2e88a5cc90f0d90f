"""Sinks: consumers that land the article stream somewhere, with an effect that is the same
whether an entry arrives once or five times (PostgreSQL tables, a signed webhook)."""
