/**
 * Wire models of the backtest REST API (回测, `/jupyterlab-quant/v1/backtests`,
 * `/jupyterlab-quant/v1/backtest/...`).
 *
 * They mirror `server_extension/schema/backtest_*.json` (generated from
 * `jupyterlab_quant/server/models.py`); `src/__tests__/backtest-models.spec.ts`
 * fails when the two drift apart.
 */

/** A strategy parameter value (backtrader `params`). */
export type BacktestParamValue = number | string | boolean;

/** Lifecycle of a backtest job: 排队 → 运行 → 完成 / 失败 / 已取消. */
export type BacktestStatus =
  'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Every status, in lifecycle order. */
export const BACKTEST_STATUSES: readonly BacktestStatus[] = [
  'queued',
  'running',
  'done',
  'failed',
  'cancelled'
];

/** `POST /backtests` body (`backtest_request.json`). */
export interface IBacktestRequest {
  /** Path of a `.py` file relative to the Jupyter root. */
  strategy_file?: string;
  /** Strategy source text (wins over `strategy_file` when both are set). */
  strategy_source?: string;
  /** `backtrader.Strategy` subclass to run; the only/first one when omitted. */
  strategy_class?: string | null;
  /** `CODE.EXCHANGE`, e.g. `600519.SH`. */
  symbols: string[];
  /** `YYYY-MM-DD`. */
  start: string;
  end: string;
  /** Starting cash in yuan (default 1,000,000). */
  cash?: number;
  /** Broker profile name (`GET /backtest/profiles`). */
  profile?: string;
  /** Per-run overrides of the profile. */
  commission?: number | null;
  min_commission?: number | null;
  slippage?: number | null;
  /** Fill at most this fraction of a bar's volume (0, 1]. */
  volume_cap?: number | null;
  /** Benchmark index (default `000300.SH`); null for none. */
  benchmark?: string | null;
  params?: Record<string, unknown>;
  timeout_s?: number;
  label?: string;
}

/** The normalised spec the server keeps with a job (`BacktestSpec.to_dict()`). */
export interface IBacktestSpec {
  symbols: string[];
  start: string;
  end: string;
  strategy_file?: string | null;
  /** Left out of job lists. */
  strategy_source?: string | null;
  strategy_class?: string | null;
  cash?: number;
  profile?: string;
  commission?: number | null;
  min_commission?: number | null;
  slippage?: number | null;
  volume_cap?: number | null;
  benchmark?: string | null;
  params?: Record<string, unknown>;
  timeout_s?: number;
  label?: string;
}

/** Why a job failed, in the server's words. */
export interface IBacktestJobError {
  /** Machine readable name, e.g. `strategy_error`. */
  error: string;
  message: string;
  hint?: string;
  /** Python traceback of a strategy error. */
  traceback?: string;
}

/** Headline numbers of a finished job (fractions: 0.12 = 12 %). */
export interface IBacktestSummary {
  final_value: number | null;
  total_return: number | null;
  annual_return: number | null;
  sharpe: number | null;
  max_drawdown: number | null;
  trade_count: number;
}

/** A backtest job (`backtest_job.json`). */
export interface IBacktestJob {
  /** 12 hex digits. */
  id: string;
  /** Job kind (`backtest`). */
  kind?: string;
  status: BacktestStatus;
  /** 0..1. */
  progress: number;
  spec: IBacktestSpec;
  /** ISO 8601 time stamps. */
  submitted: string;
  started: string | null;
  finished: string | null;
  error: IBacktestJobError | null;
  summary: IBacktestSummary | null;
  attempts: number;
  archived: boolean;
  label: string;
}

/** `GET /backtests` (`backtest_jobs.json`). */
export interface IBacktestJobsResponse {
  jobs: IBacktestJob[];
  total: number;
}

/** Query of `GET /backtests`. */
export interface IBacktestJobsQuery {
  limit?: number;
  /** false: the listed (not archived) jobs; true: only archived ones; 'all': both. */
  archived?: boolean | 'all';
}

/** One strategy file found under the Jupyter root. */
export interface IBacktestStrategyFile {
  /** Relative to the Jupyter root. */
  path: string;
  /** `backtrader.Strategy` subclasses defined in the file. */
  classes: string[];
  /**
   * Literal defaults of each class's `params`, by class name (JSON values:
   * mostly numbers, booleans and text; null when not a literal).
   */
  params: Record<string, Record<string, unknown>>;
}

/** `GET /backtest/strategies` (`backtest_strategies.json`). */
export interface IBacktestStrategiesResponse {
  strategies: IBacktestStrategyFile[];
}

/** How fees are rounded to the fen (分). */
export type FeeRounding = 'half_up' | 'half_even' | 'up' | 'down';

/** A broker fee profile (`GET /backtest/profiles`). */
export interface IBrokerProfile {
  name: string;
  /** Fraction of the traded value, e.g. 0.00025 (万2.5). */
  commission_rate: number;
  /** Yuan per order. */
  min_commission: number;
  /** Fraction of the price. */
  slippage: number;
  /** How fees are rounded. */
  rounding: FeeRounding;
  /** Shipped with the product (not user defined). */
  builtin: boolean;
  /** Exchange fees (过户费 etc.) charged on top of the commission. */
  separate_exchange_fees?: boolean;
  /** What the profile is for. */
  description?: string;
}

/** `GET /backtest/profiles` (`backtest_profiles.json`). */
export interface IBrokerProfilesResponse {
  profiles: IBrokerProfile[];
}

/** One executed trade (成交). */
export interface IBacktestTrade {
  datetime: string;
  symbol: string;
  side: 'buy' | 'sell' | string;
  price: number;
  size: number;
  commission: number;
  stamp_duty: number;
  transfer_fee: number;
  value: number;
}

/** An order the A-share rules refused (limit up/down, suspended, lot size, T+1, …). */
export interface IBacktestRejection {
  datetime: string;
  symbol: string;
  side: string;
  size: number;
  reason: string;
  detail: string;
}

/** A point of an equity or benchmark curve. */
export interface IBacktestCurvePoint {
  date: string;
  value: number;
}

/** Performance metrics (snake_case; returns and drawdowns are fractions). */
export interface IBacktestMetrics {
  total_return?: number | null;
  annual_return?: number | null;
  sharpe?: number | null;
  max_drawdown?: number | null;
  [name: string]: unknown;
}

/** `GET /backtests/<id>/result`: `BacktestResult.to_dict()`. */
export interface IBacktestResult {
  spec: IBacktestSpec;
  final_value: number;
  cash: number;
  trades: IBacktestTrade[];
  rejections: IBacktestRejection[];
  equity_curve: IBacktestCurvePoint[];
  benchmark_curve: IBacktestCurvePoint[];
  metrics: IBacktestMetrics;
  /** monthly / yearly / stress / drawdown tables, JSON-ready. */
  tables: Record<string, unknown>;
  round_trips?: Record<string, unknown>[];
  corporate_actions?: Record<string, unknown>[];
  positions?: Record<string, number>;
  log?: string[];
  elapsed_s?: number;
}
