"""Evidence that records itself: feed items, Zalo and email replies, triage (issue #14)."""
