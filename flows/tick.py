"""Entry point of the `tick` deployment (deployments/prefect.yaml: flows/tick.py:tick); the flow lives in commplan.flows.tick."""

from commplan.flows.tick import tick

__all__ = ["tick"]
