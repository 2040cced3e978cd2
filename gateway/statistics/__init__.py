"""Anonymous usage statistics: counters per day × topic × channel × audience, the /statistik
pages (charts, CSV) and the report `python -m gateway.statistics.report --period 2026-11`.

Only counts are kept, never a conversation or a session id. Unanswered questions are stored
only when switched on (LOTSEN_STORE_UNANSWERED), only after knowledge.redact, and deleted
after LOTSEN_UNANSWERED_RETENTION_DAYS.
"""
