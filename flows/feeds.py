"""Entry point of the `feeds` deployment (deployments/prefect.yaml: flows/feeds.py:feeds); the flow lives in commplan.flows.feeds."""

from commplan.flows.feeds import feeds

__all__ = ["feeds"]
