"""wirestream: feeds in, clean, deduplicated, tagged articles out on a Redis stream."""

__version__ = "0.1.0"
