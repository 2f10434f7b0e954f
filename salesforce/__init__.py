"""Two-way Salesforce sync: opportunities come in (pull), the EM's four fields go out (push).

config (what is configured and why the sync may be off) · client (OAuth token, simple-salesforce,
retries, call counting) · mapping (field map and SOQL) · pull · push · conflicts (the EM's choice
when both sides changed a field) · sync (one locked run: pull then push, logged as a SyncRun) ·
services (Sync now) · tasks (the scheduled run) · schedule (its beat entry) · panels (the sync
state on the opportunity page). The outbox the push reads (PendingPush) belongs to engagements:
the EM's edit writes it there.
"""
