/**
 * Wire models of the jupyterlab-quant REST API (`/jupyterlab-quant/v1/...`).
 *
 * These mirror the server's response shapes one to one; keep them in sync
 * with `jupyterlab_quant/server/models.py` and `server_extension/schema/`.
 */

/** Price adjustment: 不复权 / 前复权 / 后复权. */
export type Adjust = 'none' | 'qfq' | 'hfq';

/** Bar frequency. */
export type Freq = '1d' | '1m' | '5m';

/** Instrument kinds the symbol search knows. */
export type SymbolKind = 'stock' | 'index' | 'etf' | 'futures';

export const ADJUSTS: readonly Adjust[] = ['none', 'qfq', 'hfq'];

/** Frequencies offered in the market panel. */
export const PANEL_FREQS: readonly Freq[] = ['1d', '1m'];

/** One dataset of the store, as reported by `GET /status`. */
export interface IDatasetInfo {
  name: string;
  rows: number;
  first?: string | null;
  last?: string | null;
}

/** `GET /status`. */
export interface IStatusResponse {
  name: string;
  version: string;
  api_version: number;
  home: string;
  datasets: IDatasetInfo[];
}

/** One instrument, as returned by `GET /symbols`. */
export interface ISymbolInfo {
  /** `CODE.EXCHANGE`, e.g. `600519.SH`. */
  symbol: string;
  code: string;
  name: string;
  kind: SymbolKind | string;
  exchange: string;
  board?: string | null;
  first_date?: string | null;
  last_date?: string | null;
}

/** `GET /symbols`. */
export interface ISymbolsResponse {
  items: ISymbolInfo[];
}

/** Column-oriented bar arrays of `GET /bars`. */
export interface IBarColumns {
  /** `YYYY-MM-DD` for daily bars, `YYYY-MM-DD HH:MM` for minute bars. */
  time: string[];
  open: (number | null)[];
  high: (number | null)[];
  low: (number | null)[];
  close: (number | null)[];
  /** Shares (股). */
  volume: (number | null)[];
  /** Yuan; null where the source has no amount. */
  amount?: (number | null)[] | null;
  /** The exchange's reference price (前收盘价). */
  preclose?: (number | null)[] | null;
  /** Suspended (停牌); for merged bars: every merged bar was suspended. */
  suspended: boolean[];
}

/** `GET /bars`. */
export interface IBarsResponse {
  symbol: string;
  name: string;
  freq: Freq;
  adjust: Adjust;
  /** Time of the first returned bar. */
  start: string;
  /** Time of the last returned bar (for merged bars: its first bar). */
  end: string;
  /** Bars in the range at full detail. */
  total: number;
  /** Consecutive bars merged into each returned bar (1 = full detail). */
  bucket: number;
  columns: string[];
  data: IBarColumns;
}

/** Query parameters of `GET /bars`. */
export interface IBarsQuery {
  symbol: string;
  adjust: Adjust;
  freq: Freq;
  start?: string;
  end?: string;
  max_points?: number;
}

/** Error body of every non-2xx answer. */
export interface IApiErrorBody {
  /** Machine readable name, e.g. `unknown_symbol`. */
  error: string;
  /** What went wrong and what to do (Chinese, English in parentheses). */
  message: string;
  hint?: string | null;
  /** Import errors: file, row and field at fault. */
  path?: string;
  row?: string;
  field?: string;
}

/** Overall health of the upstream data sources (`GET /sources`). */
export type SourcesOverall = 'unknown' | 'ok' | 'degraded' | 'down';

/** Circuit breaker state of one source: closed = 正常, open = 熔断, half_open = 半开. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Health of one upstream source (eastmoney, sina, tencent, …). */
export interface ISourceHealth {
  source: string;
  state: CircuitState;
  consecutive_failures: number;
  successes: number;
  failures: number;
  /** Seconds until an open circuit lets a trial call through (0 otherwise). */
  retry_in_s: number;
  last_success_at?: string | null;
  last_failure_at?: string | null;
  last_error?: string | null;
}

/** `GET /sources`. */
export interface ISourcesResponse {
  overall: SourcesOverall;
  items: ISourceHealth[];
}

/** State of a background update job. */
export type UpdateJobState = 'running' | 'done' | 'failed';

/** `POST /update` body. */
export interface IUpdateRequest {
  symbols: string[];
  start?: string;
  end?: string;
  kind?: string;
}

/** `POST /update` and `GET /update/<id>`: a background data update. */
export interface IUpdateJob {
  id: string;
  symbols: string[];
  state: UpdateJobState;
  /** Symbols fetched so far, of `total`. */
  done: number;
  total: number;
  /** Symbol being fetched. */
  symbol?: string | null;
  /** Estimated seconds left. */
  eta_s?: number | null;
  /** Summary (done) or what went wrong (failed), in the server's words. */
  message: string;
  /** The error body (error, message, hint) of a failed job. */
  error?: Partial<IApiErrorBody> | null;
  failed_symbols?: string[];
  /** Unix seconds. */
  started_at?: number;
  finished_at?: number | null;
}

/** Severity of a data health finding. */
export type CheckSeverity = 'error' | 'warning';

/** One finding of `GET /check`. */
export interface ICheckFinding {
  symbol: string;
  date?: string | null;
  /** Check name, e.g. `ohlc`, `gap`, `duplicate`. */
  check: string;
  severity: CheckSeverity;
  message: string;
  hint?: string;
  dataset?: string;
}

/** `GET /check`: data health findings (`jlq data check`). */
export interface ICheckResponse {
  errors: number;
  warnings: number;
  items: ICheckFinding[];
}

// Backtests (回测): src/models/backtest.ts
export * from './backtest';

// Strategy vault (策略库): src/models/strategy.ts
export * from './strategy';

// Live monitoring (风控 / 自选 / 实时行情): src/models/live.ts
export * from './live';
