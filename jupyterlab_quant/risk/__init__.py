"""Risk monitoring service (风控): rule types (``risk.rules``), the rule store (``risk.store``), the
account and its check state (``risk.account``) and the engine + ``RiskService`` facade (``risk.engine``).
Signals only: nothing here places orders."""

from .account import AccountSnapshot, AccountStore
from .engine import RiskEngine, RiskService
from .model import CheckResult, Rule, RuleStatus
from .store import RiskStore

__all__ = ["AccountSnapshot", "AccountStore", "CheckResult", "RiskEngine", "RiskService", "RiskStore", "Rule",
           "RuleStatus"]
