"""The plan format: models, YAML loading with line-numbered errors, directory, succession."""

from .catalog import Catalog, Plan
from .directory import Directory
from .errors import PlanError, PlanLoadError, PlanWarning
from .loader import load_catalog

__all__ = ["Catalog", "Directory", "Plan", "PlanError", "PlanLoadError", "PlanWarning", "load_catalog"]
