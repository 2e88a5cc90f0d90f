"""All I/O, no decisions: each module wraps one client and translates its errors once."""
