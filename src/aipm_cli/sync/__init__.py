"""`aipm sync`: the same progress on every machine, with git as the engine (service.py is the entry)."""
