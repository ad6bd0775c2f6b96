"""Wire contract: request/response models of the REST API, exported as JSON Schema.

``server_extension/schema/*.json`` is generated from these (``python -m jupyterlab_quant.server.models``)
and a test fails when the committed schema drifts from the models; ``src/models`` mirrors them in
TypeScript.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

API_VERSION = 1

_STR = {"type": "string"}
_DATE = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}"}
_NUM_ARR = {"type": "array", "items": {"type": ["number", "null"]}}
_NUM = {"type": "number"}
_OPT_NUM = {"type": ["number", "null"]}
_OPT_STR = {"type": ["string", "null"]}
_TS = {"type": "string", "format": "date-time"}        # ISO 8601 with UTC offset
_OPT_TS = {"type": ["string", "null"], "format": "date-time"}

# A backtest job record (jobs/store.py); ``spec`` is BacktestSpec.to_dict() (strategy_source omitted in lists).
_BACKTEST_JOB: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "progress", "spec", "submitted", "started", "finished", "error", "summary",
                 "attempts", "archived", "label"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{12}$"}, "kind": _STR,
        "status": {"enum": ["queued", "running", "done", "failed", "cancelled"]},
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "spec": {"type": "object", "required": ["symbols", "start", "end"], "properties": {
            "symbols": {"type": "array", "items": _STR}, "start": _STR, "end": _STR,
            "strategy_file": _OPT_STR, "strategy_source": _OPT_STR, "strategy_class": _OPT_STR,
            "cash": _NUM, "profile": _STR, "commission": _OPT_NUM, "min_commission": _OPT_NUM,
            "slippage": _OPT_NUM, "volume_cap": _OPT_NUM, "benchmark": _OPT_STR,
            "params": {"type": "object"}, "timeout_s": _NUM, "label": _STR}},
        "submitted": _TS, "started": _OPT_TS, "finished": _OPT_TS,
        "error": {"anyOf": [{"type": "null"}, {
            "type": "object", "required": ["error", "message"],
            "properties": {"error": _STR, "message": _STR, "hint": _STR, "traceback": _STR}}]},
        "summary": {"anyOf": [{"type": "null"}, {
            "type": "object",
            "required": ["final_value", "total_return", "annual_return", "sharpe", "max_drawdown", "trade_count"],
            "properties": {"final_value": _OPT_NUM, "total_return": _OPT_NUM, "annual_return": _OPT_NUM,
                           "sharpe": _OPT_NUM, "max_drawdown": _OPT_NUM, "trade_count": {"type": "integer"}}}]},
        "attempts": {"type": "integer", "minimum": 0}, "archived": {"type": "boolean"}, "label": _STR,
    },
}

# A strategy version of the vault (issue 5 §4): number, time, message, size in bytes of the source.
_STRATEGY_VERSION: dict[str, Any] = {
    "type": "object", "required": ["version", "created", "message", "size"],
    "properties": {"version": {"type": "integer", "minimum": 1}, "created": _TS, "message": _STR,
                   "size": {"type": "integer", "minimum": 0}},
}
_STRATEGY_NAME = {"type": "string", "minLength": 1, "maxLength": 64}

# Live monitoring (issue 6): a quote (core.live.Quote.to_dict) and an alert (core.live.Alert.to_dict).
# A field the payload always has is required, except those still optional in src/models/live.ts (test fixtures
# leave them out; the TS/schema drift test, src/__tests__/live-models.spec.ts, keeps both sides equal).
_LOCAL_TS = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"}  # exchange time, no offset
_QUOTE: dict[str, Any] = {
    "type": "object", "required": ["symbol", "price", "preclose", "time", "volume", "name"],
    "properties": {"symbol": _STR, "price": _OPT_NUM, "preclose": _OPT_NUM, "time": _LOCAL_TS, "open": _OPT_NUM,
                   "high": _OPT_NUM, "low": _OPT_NUM, "volume": {"type": "integer", "minimum": 0},
                   "amount": _OPT_NUM, "name": _STR},
}
_ALERT: dict[str, Any] = {
    "type": "object", "required": ["id", "key", "rule", "severity", "title", "message", "time"],
    "properties": {"id": _STR, "key": _STR, "rule": _STR, "severity": {"enum": ["info", "warning", "critical"]},
                   "title": _STR, "message": _STR, "time": _LOCAL_TS, "rule_id": {"type": ["integer", "null"]},
                   "symbol": _OPT_STR, "value": _OPT_NUM, "threshold": _OPT_NUM},
}
_BILINGUAL = {"type": "object", "required": ["zh", "en"], "properties": {"zh": _STR, "en": _STR}}
# RuleStatus.to_dict (POST /risk/check, WS "risk"); a rule's ``status`` is its status_dict() part.
_RULE_STATUS: dict[str, Any] = {
    "type": "object", "required": ["rule_id", "kind", "state", "value", "threshold", "message", "symbols"],
    "properties": {"rule_id": {"type": "integer"}, "kind": _STR, "name": _STR,
                   "scope": {"enum": ["account", "strategy", "market", "compliance"]},
                   "state": {"enum": ["ok", "breach", "error", "disabled", "no_data"]}, "value": _OPT_NUM,
                   "threshold": _OPT_NUM, "message": _STR, "symbols": {"type": "array", "items": _STR},
                   "checked_at": {"anyOf": [{"type": "null"}, _LOCAL_TS]}},
}
_RULE: dict[str, Any] = {
    "type": "object", "required": ["id", "kind", "name", "scope", "params", "enabled", "strategy", "status"],
    "properties": {"id": {"type": "integer"}, "kind": _STR, "name": _STR,
                   "scope": _RULE_STATUS["properties"]["scope"],
                   "params": {"type": "object"}, "enabled": {"type": "boolean"}, "strategy": _OPT_STR,
                   "status": {"type": "object",
                              "required": ["state", "value", "threshold", "message", "symbols", "checked_at"],
                              "properties": {k: _RULE_STATUS["properties"][k] for k in (
                                  "state", "value", "threshold", "message", "symbols", "checked_at")}}},
}
# notify.log.Delivery.to_dict (GET /notify/log, POST /notify/channels/<name>/test).
_DELIVERY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "alert_id", "channel", "status", "attempts", "error", "created", "sent", "title"],
    "properties": {"id": {"type": "integer"}, "alert_id": _OPT_STR, "alert_key": _OPT_STR,
                   "kind": {"enum": ["alert", "digest", "test"]}, "channel": _STR,
                   "status": {"enum": ["pending", "sent", "retrying", "failed", "suppressed", "quiet", "digested",
                                       "deduped"]},
                   "attempts": {"type": "integer"}, "error_code": _OPT_STR, "error": _OPT_STR, "created": _LOCAL_TS,
                   "updated": _LOCAL_TS, "next_attempt": _OPT_STR, "sent": _OPT_STR, "title": _STR,
                   "severity": {"enum": ["info", "warning", "critical", None]},
                   "digest_id": {"type": ["integer", "null"]}},
}
_LIVE_SCHEMAS: dict[str, Any] = {
    "risk_rule_types": {
        "type": "object", "required": ["types"],
        "description": "GET /v1/risk/rule-types: every rule and its parameters.",
        "properties": {"types": {"type": "array", "items": {
            "type": "object", "required": ["kind", "scope", "label", "description", "params"],
            "properties": {"kind": _STR, "scope": _RULE_STATUS["properties"]["scope"], "label": _BILINGUAL,
                           "description": _BILINGUAL, "severity": _ALERT["properties"]["severity"],
                           "params": {"type": "array", "items": {
                               "type": "object", "required": ["name", "type", "default", "label"],
                               "properties": {"name": _STR,
                                              "type": {"enum": ["number", "integer", "boolean", "string"]},
                                              "default": {"type": ["number", "boolean", "string", "null"]},
                                              "min": _NUM, "max": _NUM,  # only when the parameter has one
                                              "unit": {"enum": ["%", "CNY", "count", ""]},
                                              "label": _BILINGUAL}}}}}}},
    },
    "risk_rule": {**_RULE, "description": "POST /v1/risk/rules (201), GET/PATCH /v1/risk/rules/<id>."},
    "risk_rules": {"type": "object", "required": ["rules"], "properties": {"rules": {"type": "array", "items": _RULE}}},
    "risk_check": {
        "type": "object", "required": ["checked_at", "statuses", "alerts"],
        "description": "POST /v1/risk/check: one pass on the latest quotes (bus, else the last stored close).",
        "properties": {"checked_at": _LOCAL_TS, "statuses": {"type": "array", "items": _RULE_STATUS},
                       "alerts": {"type": "array", "items": _ALERT}, "breached": {"type": "boolean"},
                       "account": {  # AccountSnapshot.summary_dict()
                           "type": "object",
                           "required": ["name", "value", "cash", "market_value", "day_start_value",
                                        "day_start_source", "peak_value", "peak_at", "stale"],
                           "properties": {"name": _STR, "value": _OPT_NUM, "cash": _OPT_NUM,
                                          "market_value": _OPT_NUM, "day_start_value": _OPT_NUM,
                                          "day_start_source": {"enum": ["preclose", "day_state", "previous_check",
                                                                        "first_check"]},
                                          "peak_value": _OPT_NUM, "peak_at": _OPT_STR,
                                          "stale": {"type": "array", "items": _STR}}}},
    },
    "risk_account": {
        "type": "object", "required": ["name", "cash", "value", "positions", "permissions"],
        "description": "GET /v1/risk/account: the account valued with the latest quotes (weights as fractions).",
        "properties": {"name": _STR, "cash": _OPT_NUM, "value": _OPT_NUM, "market_value": _OPT_NUM,
                       "day_start_value": _OPT_NUM,
                       "day_start_source": {"enum": ["preclose", "day_state", "previous_check", "first_check"]},
                       "peak_value": _OPT_NUM, "peak_at": _OPT_STR, "stale": {"type": "array", "items": _STR},
                       "as_of": _LOCAL_TS,
                       "permissions": {"type": "object",
                                       "properties": {"chinext": {"type": "boolean"}, "star": {"type": "boolean"}}},
                       "positions": {"type": "array", "items": {
                           "type": "object",
                           "required": ["symbol", "name", "quantity", "cost", "price", "value", "weight", "pnl",
                                        "strategy"],
                           "properties": {"symbol": _STR, "name": _STR, "quantity": {"type": "integer"},
                                          "cost": _NUM, "price": _OPT_NUM, "value": _OPT_NUM, "weight": _OPT_NUM,
                                          "pnl": _OPT_NUM, "strategy": _OPT_STR, "pnl_ratio": _OPT_NUM,
                                          "price_source": {"enum": ["live", "preclose", "last", "cost"]},
                                          "opened": _DATE,
                                          "board": {"enum": ["main", "chinext", "star", "bse", "b_share", "index",
                                                             "etf", "futures"]},
                                          "high": _OPT_NUM}}}},
    },
    "alerts": {
        "type": "object", "required": ["alerts"], "description": "GET /v1/alerts: newest first, with deliveries.",
        "properties": {"alerts": {"type": "array", "items": {
            **_ALERT, "required": [*_ALERT["required"], "deliveries"],
            "properties": {**_ALERT["properties"], "deliveries": {"type": "array", "items": {
                "type": "object", "required": ["channel", "status", "error"],
                "properties": {"channel": _STR, "status": _DELIVERY["properties"]["status"], "error": _OPT_STR,
                               "attempts": {"type": "integer"}, "sent": _OPT_STR}}}}}}},
    },
    "notify_channels": {
        "type": "object", "required": ["channels"],
        "description": "GET /v1/notify/channels (PUT /v1/notify/channels/<name> answers one item). Secrets are "
                       "never sent back: only which fields are set.",
        "properties": {"channels": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "label", "enabled", "configured", "rate_limit", "sent_today", "options",
                         "secret_fields", "secrets_set", "base_url"],
            "properties": {"name": _STR, "label": _BILINGUAL, "enabled": {"type": "boolean"},
                           "configured": {"type": "boolean"}, "missing": {"type": "array", "items": _STR},
                           "rate_limit": _STR, "sent_today": {"type": "integer"}, "held": {"type": "integer"},
                           "paused_until": _OPT_STR, "paused_reason": _OPT_STR, "options": {"type": "object"},
                           "secret_fields": {"type": "array", "items": _STR},
                           "secrets_set": {"type": "array", "items": _STR},
                           "secrets_env": {"type": "array", "items": _STR}, "secret_error": _OPT_STR,
                           "base_url": _STR, "base_url_default": _STR}}}},
    },
    "notify_log": {
        "type": "object", "required": ["deliveries"], "description": "GET /v1/notify/log: the delivery log.",
        "properties": {"deliveries": {"type": "array", "items": _DELIVERY}},
    },
    "watchlist": {
        "type": "object", "required": ["symbols"],
        "description": "GET/PUT /v1/watchlist (PUT body has the same shape; codes are normalised).",
        "properties": {"symbols": {"type": "array", "items": _STR}},
    },
    "ws_message": {
        "description": "Server → client messages of the live WebSocket /v1/ws.",
        "oneOf": [
            {"type": "object", "required": ["type", "symbols", "quotes"],
             "properties": {"type": {"const": "hello"}, "symbols": {"type": "array", "items": _STR},
                            "quotes": {"type": "array", "items": _QUOTE}}},
            {"type": "object", "required": ["type", "sent", "fields", "rows"],
             "description": "A batch: the quote fields once, then one list per quote in that order (compact).",
             "properties": {"type": {"const": "quotes"}, "sent": _NUM,
                            "fields": {"const": ["symbol", "price", "preclose", "time", "open", "high", "low",
                                                 "volume", "amount", "name"]},
                            "rows": {"type": "array", "items": {
                                "type": "array", "minItems": 10, "maxItems": 10,
                                "prefixItems": [_STR, _OPT_NUM, _OPT_NUM, _LOCAL_TS, _OPT_NUM, _OPT_NUM, _OPT_NUM,
                                                {"type": "integer", "minimum": 0}, _OPT_NUM, _STR]}}}},
            {"type": "object", "required": ["type", "alert"],
             "properties": {"type": {"const": "alert"}, "alert": _ALERT}},
            {"type": "object", "required": ["type", "statuses", "checked_at"],
             "properties": {"type": {"const": "risk"}, "statuses": {"type": "array", "items": _RULE_STATUS},
                            "checked_at": _LOCAL_TS}},
            {"type": "object", "required": ["type", "message"],
             "properties": {"type": {"const": "error"}, "message": _STR}},
        ],
    },
    "scheduler_status": {
        "type": "object", "required": ["running", "leader", "feed", "owner", "jobs"],
        "description": "GET /v1/scheduler: the live scheduler of this server (only the lock holder runs jobs).",
        "properties": {
            "running": {"type": "boolean"}, "leader": {"type": "boolean"}, "feed": _STR, "owner": _OPT_STR,
            "jobs": {"type": "array", "items": {
                "type": "object",
                "required": ["id", "label", "runs", "failures", "last_run", "last_ok", "last_error", "last_result",
                             "seconds", "next_run"],
                "properties": {"id": _STR, "label": _STR, "runs": {"type": "integer"},
                               "failures": {"type": "integer"}, "last_run": _OPT_STR, "last_ok": _OPT_STR,
                               "last_error": _OPT_STR, "last_result": _OPT_STR, "seconds": _NUM,
                               "next_run": _OPT_STR}}},
        },
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "error": {
        "type": "object", "required": ["error", "message"],
        "properties": {"error": _STR, "message": _STR, "hint": _STR, "path": _STR, "row": _STR, "field": _STR},
    },
    "status": {
        "type": "object", "required": ["name", "version", "api_version", "home", "datasets"],
        "properties": {
            "name": _STR, "version": _STR, "api_version": {"type": "integer"}, "home": _STR,
            "datasets": {"type": "array", "items": {
                "type": "object", "required": ["name", "rows"],
                "properties": {"name": _STR, "rows": {"type": "integer"}, "first": _DATE, "last": _DATE}}},
        },
    },
    "symbols": {
        "type": "object", "required": ["items"],
        "properties": {"items": {"type": "array", "items": {
            "type": "object", "required": ["symbol", "code", "name", "kind", "exchange"],
            "properties": {"symbol": _STR, "code": _STR, "name": _STR, "kind": _STR, "exchange": _STR,
                           "board": _STR, "first_date": _DATE, "last_date": _DATE}}}},
    },
    "bars": {
        "type": "object",
        "required": ["symbol", "name", "freq", "adjust", "start", "end", "total", "bucket", "columns", "data"],
        "properties": {
            "symbol": _STR, "name": _STR, "freq": {"enum": ["1d", "1m", "5m"]},
            "adjust": {"enum": ["none", "qfq", "hfq"]}, "start": _STR, "end": _STR,
            "total": {"type": "integer"}, "bucket": {"type": "integer", "minimum": 1},
            "columns": {"type": "array", "items": _STR},
            "data": {"type": "object", "required": ["time", "open", "high", "low", "close", "volume", "suspended"],
                     "properties": {"time": {"type": "array", "items": _STR}, "open": _NUM_ARR,
                                    "high": _NUM_ARR, "low": _NUM_ARR, "close": _NUM_ARR, "volume": _NUM_ARR,
                                    "amount": _NUM_ARR, "preclose": _NUM_ARR,
                                    "suspended": {"type": "array", "items": {"type": "boolean"}}}},
        },
    },
    "sources": {
        "type": "object", "required": ["overall", "items"],
        "properties": {
            "overall": {"enum": ["unknown", "ok", "degraded", "down"]},
            "items": {"type": "array", "items": {
                "type": "object",
                "required": ["source", "state", "consecutive_failures", "successes", "failures", "retry_in_s"],
                "properties": {"source": _STR, "state": {"enum": ["closed", "open", "half_open"]},
                               "consecutive_failures": {"type": "integer"}, "successes": {"type": "integer"},
                               "failures": {"type": "integer"}, "retry_in_s": {"type": "integer"},
                               "last_success_at": {"type": ["string", "null"]},
                               "last_failure_at": {"type": ["string", "null"]},
                               "last_error": {"type": ["string", "null"]}}}},
        },
    },
    "update_job": {
        "type": "object", "required": ["id", "symbols", "state", "done", "total", "message"],
        "properties": {
            "id": _STR, "symbols": {"type": "array", "items": _STR},
            "state": {"enum": ["running", "done", "failed"]}, "done": {"type": "integer"},
            "total": {"type": "integer"}, "symbol": {"type": ["string", "null"]},
            "eta_s": {"type": ["number", "null"]}, "message": _STR,
            "error": {"type": ["object", "null"]}, "failed_symbols": {"type": "array", "items": _STR},
            "started_at": {"type": "number"}, "finished_at": {"type": ["number", "null"]},
        },
    },
    "check": {
        "type": "object", "required": ["errors", "warnings", "items"],
        "properties": {
            "errors": {"type": "integer"}, "warnings": {"type": "integer"},
            "items": {"type": "array", "items": {
                "type": "object", "required": ["symbol", "check", "severity", "message"],
                "properties": {"symbol": _STR, "date": {"type": ["string", "null"]}, "check": _STR,
                               "severity": {"enum": ["error", "warning"]}, "message": _STR, "hint": _STR,
                               "dataset": _STR}}},
        },
    },
    # ---- backtests (issue 4 §6): Dask jobs with records in $JLQ_HOME/state/jobs.db ----
    "backtest_job": _BACKTEST_JOB,
    "backtest_jobs": {
        "type": "object", "required": ["jobs", "total"],
        "properties": {"jobs": {"type": "array", "items": _BACKTEST_JOB},
                       "total": {"type": "integer", "minimum": 0}},
    },
    "backtest_strategies": {
        "type": "object", "required": ["strategies"],
        "properties": {"strategies": {"type": "array", "items": {
            "type": "object", "required": ["path", "classes", "params"],
            "properties": {"path": _STR, "classes": {"type": "array", "items": _STR},
                           "params": {"type": "object", "additionalProperties": {"type": "object"}}}}}},
    },
    "backtest_request": {
        "type": "object", "required": ["symbols", "start", "end"],
        "description": "POST /v1/backtests body; strategy_file (relative to the server root) or strategy_source.",
        "properties": {
            "strategy_file": _STR, "strategy_source": _STR, "strategy_class": _OPT_STR,
            "symbols": {"type": "array", "items": _STR, "minItems": 1}, "start": _STR, "end": _STR,
            "cash": _NUM, "profile": _STR, "commission": _OPT_NUM, "min_commission": _OPT_NUM,
            "slippage": _OPT_NUM, "volume_cap": _OPT_NUM, "benchmark": _OPT_STR, "params": {"type": "object"},
            "timeout_s": _NUM, "label": _STR,
        },
    },
    "backtest_profiles": {
        "type": "object", "required": ["profiles"],
        "properties": {"profiles": {"type": "array", "items": {
            "type": "object", "required": ["name", "commission_rate", "min_commission", "slippage", "rounding",
                                           "builtin"],
            "properties": {"name": _STR, "commission_rate": _NUM, "min_commission": _NUM, "slippage": _NUM,
                           "rounding": {"enum": ["half_up", "half_even", "up", "down"]},
                           "builtin": {"type": "boolean"}, "separate_exchange_fees": {"type": "boolean"},
                           "description": _STR}}}},
    },
    # ---- strategy vault (issue 5 §4): encrypted, versioned strategies; plaintext only in memory ----
    "strategy_list": {
        "type": "object", "required": ["strategies"],
        "properties": {"strategies": {"type": "array", "items": {
            "type": "object", "required": ["name", "versions", "latest", "updated", "size"],
            "properties": {"name": _STRATEGY_NAME, "versions": {"type": "integer", "minimum": 1},
                           "latest": {"type": "integer", "minimum": 1}, "updated": _TS,
                           "size": {"type": "integer", "minimum": 0}}}}},
    },
    "strategy": {
        "type": "object", "required": ["name", "version", "content", "versions"],
        "description": "GET /v1/strategies/<name>[?version=N]: one version's source and the whole history.",
        "properties": {"name": _STRATEGY_NAME, "version": {"type": "integer", "minimum": 1}, "content": _STR,
                       "versions": {"type": "array", "items": _STRATEGY_VERSION}},
    },
    "strategy_versions": {
        "type": "object", "required": ["name", "versions"],
        "properties": {"name": _STRATEGY_NAME, "versions": {"type": "array", "items": _STRATEGY_VERSION}},
    },
    "strategy_version": {
        "type": "object", "required": ["name", "version", "created", "message", "size", "changed"],
        "description": "PUT /v1/strategies/<name> (201, or 200 with changed=false when identical to the latest) "
                       "and POST /v1/strategies/<name>/restore (201).",
        "properties": {"name": _STRATEGY_NAME, **_STRATEGY_VERSION["properties"], "changed": {"type": "boolean"}},
    },
    "strategy_diff": {
        "type": "object", "required": ["name", "from", "to", "diff"],
        "properties": {"name": _STRATEGY_NAME, "from": {"type": "integer", "minimum": 1},
                       "to": {"type": "integer", "minimum": 1}, "diff": {"type": "string"}},
    },
    "strategy_save_request": {
        "type": "object", "required": ["content"], "additionalProperties": False,
        "description": "PUT /v1/strategies/<name> body.",
        "properties": {"content": _STR, "message": _STR},
    },
    "strategy_restore_request": {
        "type": "object", "required": ["version"], "additionalProperties": False,
        "description": "POST /v1/strategies/<name>/restore body.",
        "properties": {"version": {"type": "integer", "minimum": 1}, "message": _STR},
    },
}
SCHEMAS.update(_LIVE_SCHEMAS)
BAR_COLUMNS = ["time", "open", "high", "low", "close", "volume", "amount", "preclose", "suspended"]


def _num_list(values: np.ndarray) -> list[float | None]:
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in values.tolist()]


def bucket_bars(df: pd.DataFrame, max_points: int) -> tuple[pd.DataFrame, int]:
    """Merge consecutive bars so at most ``max_points`` remain (OHLC first/max/min/last, volume summed)."""
    n = len(df)
    k = max(1, math.ceil(n / max(1, max_points)))
    if k == 1:
        return df, 1
    g = df.groupby(np.arange(n) // k, sort=True)
    out = g.agg(time=("time", "first"), open=("open", "first"), high=("high", "max"), low=("low", "min"),
                close=("close", "last"), volume=("volume", "sum"),
                amount=("amount", lambda s: s.sum(min_count=1)), preclose=("preclose", "first"),
                suspended=("suspended", "all"))
    return out.reset_index(drop=True), k


def bars_payload(df: pd.DataFrame, *, symbol: str, name: str, freq: str, adjust: str,
                 max_points: int) -> dict[str, Any]:
    minute = "ts" in df.columns
    t = df["ts"] if minute else df["date"]
    frame = pd.DataFrame({
        "time": t.dt.strftime("%Y-%m-%d %H:%M" if minute else "%Y-%m-%d"),
        "open": df["open"], "high": df["high"], "low": df["low"], "close": df["close"],
        "volume": df["volume"].astype("float64"),
        "amount": df.get("amount", np.nan),
        "preclose": df.get("preclose", np.nan),
        "suspended": (df["trade_status"] == 0) if "trade_status" in df else False,
    })
    total = len(frame)
    first, last = str(frame["time"].iloc[0]), str(frame["time"].iloc[-1])
    frame, k = bucket_bars(frame, max_points)
    data: dict[str, Any] = {"time": frame["time"].tolist(),
                            "suspended": [bool(x) for x in frame["suspended"].tolist()]}
    for c in ("open", "high", "low", "close", "volume", "amount", "preclose"):
        values = frame[c].to_numpy(dtype="float64")
        # adjusted prices carry float noise past the 0.01 tick; 4 decimals keep the wire small
        data[c] = _num_list(values if c in ("volume", "amount") else np.round(values, 4))
    return {"symbol": symbol, "name": name, "freq": freq, "adjust": adjust,
            "start": first, "end": last, "total": total, "bucket": k,
            "columns": BAR_COLUMNS, "data": data}


def schema_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "server_extension" / "schema"


def render_schemas() -> dict[str, str]:
    return {f"{name}.json": json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema",
                                        "$id": f"jupyterlab-quant/v{API_VERSION}/{name}.json",
                                        "title": name, **schema}, ensure_ascii=False, indent=2) + "\n"
            for name, schema in SCHEMAS.items()}


if __name__ == "__main__":  # regenerate server_extension/schema/
    out = schema_dir()
    out.mkdir(parents=True, exist_ok=True)
    for fname, text in render_schemas().items():
        (out / fname).write_text(text, encoding="utf-8")
    print(f"wrote {len(SCHEMAS)} schemas to {out}")
