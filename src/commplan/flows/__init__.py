"""commplan's Prefect flows, inside the package so that an installed wheel runs them.

`tick`, `compliance_report` and `feeds` hold the flows (`parameters` their shared checks); `deployments`
declares their schedules once,
for `commplan worker`, deployments/serve.py (and, by hand, deployments/prefect.yaml).
The top-level flows/ files are thin entry points for `prefect deploy`.
"""
