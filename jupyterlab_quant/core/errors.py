"""Typed error hierarchy. Raised inside; translated once at each edge (HTTP, CLI, magics).

Every error carries a ``code`` (stable, machine readable), a ``message`` that says what went wrong
and names the file/row/field/symbol, and a ``hint`` that says what to do.
"""

from __future__ import annotations


class QuantError(Exception):
    """Base of every error the product raises on purpose."""

    code = "quant_error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message, "hint": self.hint}


class InvalidInput(QuantError):
    """The caller passed something malformed (→ HTTP 400, CLI exit 2)."""

    code = "invalid_input"


class BadDate(InvalidInput):
    code = "bad_date"


class BadRange(InvalidInput):
    code = "bad_range"


class BadSymbol(InvalidInput):
    code = "bad_symbol"


class BadQuery(InvalidInput):
    code = "bad_query"


class ImportFormatError(InvalidInput):
    """A file to import is unreadable or fails validation; message names file, row and field."""

    code = "bad_import_file"

    def __init__(self, message: str, hint: str = "", *, path: str = "", row: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(message, hint)
        self.path = path
        self.row = row
        self.field = field

    def to_dict(self) -> dict[str, str]:
        d = super().to_dict()
        d.update({"path": self.path, "row": "" if self.row is None else str(self.row),
                  "field": self.field or ""})
        return d


class NotFound(QuantError):
    """Something named does not exist (→ HTTP 404, CLI exit 3)."""

    code = "not_found"


class UnknownSymbol(NotFound):
    code = "unknown_symbol"


class NoData(NotFound):
    code = "no_data"


class StoreBusy(QuantError):
    """Another writer holds the store lock (→ HTTP 409, CLI exit 4)."""

    code = "store_busy"


class StoreCorrupt(QuantError):
    """The store's manifest or files are unreadable (→ HTTP 500, CLI exit 5)."""

    code = "store_corrupt"


class SourceError(QuantError):
    """A market-data source (akshare upstream) failed; message names the source, call and symbol (CLI exit 5)."""

    code = "source_error"

    def __init__(self, message: str, hint: str = "", *, source: str = "", symbol: str = "") -> None:
        super().__init__(message, hint)
        self.source = source
        self.symbol = symbol

    def to_dict(self) -> dict[str, str]:
        d = super().to_dict()
        d.update({"source": self.source, "symbol": self.symbol})
        return d


class SourceUnavailable(SourceError):
    """Timeouts, connection resets (eastmoney's ban symptom), HTTP 5xx after retries, or an open circuit."""

    code = "source_unavailable"


class CircuitOpen(SourceUnavailable):
    """The source failed repeatedly; calls are skipped until its cool-down ends."""

    code = "source_circuit_open"


class SourceFormatError(SourceError):
    """The source answered with something we cannot use: renamed/missing columns, an HTML captcha page,
    garbage JSON, a unit mismatch."""

    code = "source_format"


class StrategyError(InvalidInput):
    """The user's strategy failed: syntax error, no Strategy class, or an exception in its code.

    ``traceback`` holds the strategy's own traceback text (frames of the user's file) for display.
    """

    code = "strategy_error"

    def __init__(self, message: str, hint: str = "", traceback: str = "") -> None:
        super().__init__(message, hint)
        self.traceback = traceback

    def to_dict(self) -> dict[str, str]:
        return {**super().to_dict(), "traceback": self.traceback}


class JobTimeout(QuantError):
    """A job ran past its time limit and was stopped (CLI exit 5, job status failed)."""

    code = "job_timeout"


class Cancelled(QuantError):
    """The user cancelled the job (job status cancelled)."""

    code = "cancelled"
