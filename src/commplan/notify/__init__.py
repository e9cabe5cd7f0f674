"""Reminders to agencies: messages (Vietnamese), and later channels and the outbox (issue #5)."""
