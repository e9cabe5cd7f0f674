"""Reports: the ministry's indicator forms (built by hand or when a report comes due) and the
compliance reports for the coordinator."""
