"""The learner's record: append-only change logs, and the state derived from them.

changes.py  the change format (ids, fields, checking a line)
state.py    derived state and how one change applies
logs.py     reading and appending log files
fold.py     folding every change (cancellations, order, as-of)
ledger.py   one learner on one roadmap: cache, lock, write, undo, redo, import
migrate.py  schema-1 progress.json -> change logs
"""
