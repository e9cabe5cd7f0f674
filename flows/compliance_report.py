"""Entry point of the `weekly` and `monthly` deployments; the flow lives in commplan.flows.compliance_report."""

from commplan.flows.compliance_report import compliance_report

__all__ = ["compliance_report"]
