"""Reports: the ministry's forms filled from figures (by hand: `commplan report weekly|monthly`; when a
plan's report comes due: `form_delivery`, run by the tick), and a plan's compliance report for the
coordinator (by hand: `commplan report compliance`; on schedule: `scheduled_compliance`, run by the
Prefect flow)."""
