"""Entry point of the `mail-in` deployment (deployments/prefect.yaml: flows/mail_in.py:mail_in); the flow lives in commplan.flows.mail_in."""

from commplan.flows.mail_in import mail_in

__all__ = ["mail_in"]
