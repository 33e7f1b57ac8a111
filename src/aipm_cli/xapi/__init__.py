"""aipm and a Learning Record Store: the learner's changes as xAPI statements (statements.py),
sent to an LRS over HTTP (client.py), with what was sent remembered per endpoint (cursor.py).

Nothing here prints or exits; errors are aipm's own (errors.py).
"""
