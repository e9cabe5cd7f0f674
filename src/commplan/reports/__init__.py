"""Reports for the coordinator: the ministry's forms filled from figures, and a plan's compliance report
(by hand: `commplan report compliance`; on schedule: `scheduled_compliance`, run by the Prefect flow)."""
