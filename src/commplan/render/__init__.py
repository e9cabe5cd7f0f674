"""Rendering occurrences for people and programs (table, JSON, CSV)."""
