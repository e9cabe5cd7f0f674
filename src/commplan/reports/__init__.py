"""Reports for the coordinator: compliance summaries (ministry forms come with a later issue)."""
