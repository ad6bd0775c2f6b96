/**
 * Pure logic of the backtest panel (回测): form validation, labels and
 * number formats of the job list, and the job-list poller.
 *
 * Nothing here touches the DOM or React, so it is unit-tested directly.
 */
import type { ITrans } from '../../i18n';
import { trendColors } from '../../kline/colors';
import type {
  BacktestStatus,
  IBacktestJob,
  IBacktestJobsResponse,
  IBacktestRequest,
  IBacktestStrategyFile
} from '../../models';

/** Poll period of the job list while a job is queued or running, ms. */
export const JOBS_POLL_MS = 1000;
/** Failed polls in a row after which the poller stops (until the next refresh). */
export const JOBS_MAX_POLL_ERRORS = 5;
/** Starting cash offered by the form (yuan). */
export const DEFAULT_CASH = 1_000_000;
/** Benchmark offered by the form: CSI 300 (沪深300). */
export const DEFAULT_BENCHMARK = '000300.SH';
/** Broker profile offered when the server lists none. */
export const DEFAULT_PROFILE = 'default';

/** Value of the strategy dropdown for "another file" (path typed by hand). */
export const CUSTOM_FILE = ':custom:';

/** An A-share symbol as the backtest engine takes it. */
export const SYMBOL_PATTERN = /^\d{6}\.(SH|SZ|BJ)$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** What the form holds (all text, as typed). */
export interface IBacktestFormValues {
  /** Path of the strategy file, relative to the Jupyter root, or {@link CUSTOM_FILE}. */
  strategyFile: string;
  /** The path typed when `strategyFile` is {@link CUSTOM_FILE}. */
  customPath: string;
  /** Strategy class ('' lets the server pick the only/first one). */
  strategyClass: string;
  /** Parameter inputs by name: text, or a boolean for checkboxes. */
  params: Record<string, string | boolean>;
  /** Comma (or space) separated symbols. */
  symbols: string;
  start: string;
  end: string;
  cash: string;
  profile: string;
  /** Empty: no benchmark. */
  benchmark: string;
  label: string;
}

/** Fields that can carry a validation message; parameters are `param:<name>`. */
export type BacktestFormField =
  | 'strategy'
  | 'symbols'
  | 'start'
  | 'end'
  | 'cash'
  | 'benchmark'
  | `param:${string}`;

/** Validation messages by field. */
export type BacktestFormErrors = Partial<Record<BacktestFormField, string>>;

/** Outcome of {@link validateForm}: a request, or the messages to show. */
export interface IValidation {
  request: IBacktestRequest | null;
  errors: BacktestFormErrors;
}

/** Default start and end: the last full calendar year before `today`. */
export function defaultRange(today: Date = new Date()): {
  start: string;
  end: string;
} {
  const year = today.getFullYear() - 1;
  return { start: `${year}-01-01`, end: `${year}-12-31` };
}

/** The values of a fresh form. */
export function initialFormValues(
  today: Date = new Date()
): IBacktestFormValues {
  return {
    strategyFile: '',
    customPath: '',
    strategyClass: '',
    params: {},
    symbols: '',
    ...defaultRange(today),
    cash: String(DEFAULT_CASH),
    profile: DEFAULT_PROFILE,
    benchmark: DEFAULT_BENCHMARK,
    label: ''
  };
}

/** Parameter inputs prefilled with the defaults of `className` in `file`. */
export function defaultParamInputs(
  file: IBacktestStrategyFile | null | undefined,
  className: string
): Record<string, string | boolean> {
  const defaults = (file && className && file.params[className]) || {};
  const inputs: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(defaults)) {
    if (typeof value === 'boolean') {
      inputs[name] = value;
    } else if (value === null || value === undefined) {
      inputs[name] = '';
    } else if (typeof value === 'object') {
      // Lists and dicts are edited as JSON.
      inputs[name] = JSON.stringify(value);
    } else {
      inputs[name] = String(value);
    }
  }
  return inputs;
}

/** The class picked by default for a strategy file: its first class, or ''. */
export function defaultClass(
  file: IBacktestStrategyFile | null | undefined
): string {
  return file && file.classes.length > 0 ? file.classes[0] : '';
}

/**
 * Split the symbols input (commas, Chinese commas, spaces or new lines) into
 * upper-cased, de-duplicated symbols.
 */
export function parseSymbols(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[\s,，;；、]+/)) {
    const symbol = part.trim().toUpperCase();
    if (symbol && !out.includes(symbol)) {
      out.push(symbol);
    }
  }
  return out;
}

/** True for `YYYY-MM-DD` naming a real calendar day. */
export function isIsoDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  if (!m) {
    return false;
  }
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return (
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d
  );
}

/** A number typed by a user: `1,000,000`, ` 5 `, `1e6`; null when not one. */
export function parseNumber(text: string): number | null {
  const cleaned = text.replace(/[,，_\s]/g, '');
  if (!cleaned) {
    return null;
  }
  const value = Number(cleaned);
  return Number.isFinite(value) ? value : null;
}

/**
 * Check the form and build the `POST /backtests` body.
 *
 * Parameters are typed after their default in the strategy (number, boolean,
 * text); a parameter without a default is sent as a number when it reads as
 * one, and left out when empty.
 */
export function validateForm(
  values: IBacktestFormValues,
  strategy: IBacktestStrategyFile | null | undefined,
  trans: ITrans
): IValidation {
  const errors: BacktestFormErrors = {};

  const custom = values.strategyFile === CUSTOM_FILE;
  const strategyFile = custom
    ? values.customPath.trim().replace(/^\/+/, '')
    : values.strategyFile.trim();
  if (!strategyFile) {
    errors.strategy = custom
      ? trans.__(
          'Enter the path of the strategy file, relative to the Jupyter root.'
        )
      : trans.__(
          'Pick a strategy file (a .py file with a backtrader.Strategy subclass).'
        );
  }

  const symbols = parseSymbols(values.symbols);
  const bad = symbols.filter(s => !SYMBOL_PATTERN.test(s));
  if (symbols.length === 0) {
    errors.symbols = trans.__('Enter at least one symbol, e.g. 600519.SH.');
  } else if (bad.length > 0) {
    errors.symbols = trans.__(
      'Not a symbol: %1. Use CODE.SH, CODE.SZ or CODE.BJ, e.g. 600519.SH.',
      bad.join(', ')
    );
  }

  const start = values.start.trim();
  const end = values.end.trim();
  if (!isIsoDate(start)) {
    errors.start = trans.__('Enter a start date (YYYY-MM-DD).');
  }
  if (!isIsoDate(end)) {
    errors.end = trans.__('Enter an end date (YYYY-MM-DD).');
  } else if (isIsoDate(start) && end < start) {
    errors.end = trans.__(
      'The end date %1 is before the start date %2.',
      end,
      start
    );
  }

  const cash = parseNumber(values.cash);
  if (cash === null || cash <= 0) {
    errors.cash = trans.__('Starting cash must be a positive number of yuan.');
  }

  let benchmark: string | null = values.benchmark.trim().toUpperCase();
  if (!benchmark) {
    benchmark = null;
  } else if (!SYMBOL_PATTERN.test(benchmark)) {
    errors.benchmark = trans.__(
      'Not a symbol: %1. Use CODE.SH, CODE.SZ or CODE.BJ, e.g. 600519.SH.',
      benchmark
    );
  }

  const defaults =
    (strategy &&
      values.strategyClass &&
      strategy.params[values.strategyClass]) ||
    {};
  const params: Record<string, unknown> = {};
  for (const [name, input] of Object.entries(values.params)) {
    const fallback = defaults[name];
    if (typeof input === 'boolean') {
      params[name] = input;
      continue;
    }
    const text = input.trim();
    if (typeof fallback === 'number') {
      const value = parseNumber(text);
      if (value === null) {
        errors[`param:${name}`] = trans.__('%1 must be a number.', name);
      } else {
        params[name] = value;
      }
    } else if (typeof fallback === 'string') {
      params[name] = input;
    } else if (fallback !== null && typeof fallback === 'object') {
      try {
        params[name] = JSON.parse(text);
      } catch {
        errors[`param:${name}`] = trans.__(
          '%1 must be JSON, like its default %2.',
          name,
          JSON.stringify(fallback)
        );
      }
    } else if (text) {
      const value = parseNumber(text);
      params[name] = value === null ? text : value;
    }
  }

  if (Object.keys(errors).length > 0) {
    return { request: null, errors };
  }
  const request: IBacktestRequest = {
    strategy_file: strategyFile,
    symbols,
    start,
    end,
    cash: cash as number,
    profile: values.profile || DEFAULT_PROFILE,
    benchmark,
    params
  };
  if (values.strategyClass) {
    request.strategy_class = values.strategyClass;
  }
  const label = values.label.trim();
  if (label) {
    request.label = label;
  }
  return { request, errors };
}

// ---- a version of the strategy library (策略库) -----------------------------

/** A strategy version of the vault handed to the panel ("回测此版本"). */
export interface IVaultStrategyRef {
  name: string;
  version: number;
}

/** `NAME v3`: the label of a vault version (default job label). */
export function vaultLabel(ref: IVaultStrategyRef): string {
  return `${ref.name} v${ref.version}`;
}

/**
 * Names of the `backtrader.Strategy` subclasses of a source (top-level
 * `class X(...Strategy...)`), in file order; a regex, not a parser.
 */
export function sourceClasses(source: string): string[] {
  const out: string[] = [];
  const re = /^class\s+([A-Za-z_]\w*)\s*\(([^)]*)\)\s*:/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(source)) !== null) {
    if (/Strategy\b/.test(m[2]) && !out.includes(m[1])) {
      out.push(m[1]);
    }
  }
  return out;
}

/**
 * Check the form and build the `POST /backtests` body of a vault version:
 * the source travels as `strategy_source` (no file), labelled `NAME v3`
 * unless a label was typed.
 */
export function validateVaultForm(
  values: IBacktestFormValues,
  ref: IVaultStrategyRef,
  source: string,
  trans: ITrans
): IValidation {
  const { request, errors } = validateForm(
    { ...values, strategyFile: vaultLabel(ref), customPath: '' },
    null,
    trans
  );
  if (!request) {
    return { request, errors };
  }
  delete request.strategy_file;
  request.strategy_source = source;
  request.label = request.label || vaultLabel(ref);
  return { request, errors };
}

// ---- job list --------------------------------------------------------------

/** True while a job still has to finish (queued or running). */
export function isActive(status: BacktestStatus | string): boolean {
  return status === 'queued' || status === 'running';
}

/** True when any job of the list is queued or running. */
export function anyActive(jobs: readonly IBacktestJob[]): boolean {
  return jobs.some(job => isActive(job.status));
}

/** Label of a job status: 排队中 / 运行中 / 已完成 / 失败 / 已取消. */
export function statusLabel(
  status: BacktestStatus | string,
  trans: ITrans
): string {
  switch (status) {
    case 'queued':
      return trans.__('Queued');
    case 'running':
      return trans.__('Running');
    case 'done':
      return trans.__('Done');
    case 'failed':
      return trans.__('Failed');
    case 'cancelled':
      return trans.__('Cancelled');
    default:
      return String(status);
  }
}

/** Visual tone of a status badge, mapped to theme colours in CSS. */
export function statusTone(
  status: BacktestStatus | string
): 'neutral' | 'info' | 'success' | 'error' | 'warn' {
  switch (status) {
    case 'running':
      return 'info';
    case 'done':
      return 'success';
    case 'failed':
      return 'error';
    case 'cancelled':
      return 'warn';
    default:
      return 'neutral';
  }
}

/** Last path component of a strategy file. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** What a job ran: its label, else `file · Class`, else "inline strategy". */
export function jobTitle(job: IBacktestJob, trans: ITrans): string {
  if (job.label) {
    return job.label;
  }
  return strategyText(job, trans);
}

/** `sma_cross.py · SmaCross` (the strategy of a job). */
export function strategyText(job: IBacktestJob, trans: ITrans): string {
  const spec = job.spec;
  const file = spec.strategy_file ? baseName(spec.strategy_file) : '';
  const cls = spec.strategy_class ?? '';
  if (file && cls) {
    return `${file} · ${cls}`;
  }
  return file || cls || trans.__('Inline strategy');
}

/** A fraction as a percentage, `+12.34%` (signed) or `12.34%`; '—' when missing. */
export function formatPct(
  value: number | null | undefined,
  signed = true
): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '—';
  }
  const pct = value * 100;
  const text = `${pct.toFixed(2)}%`;
  return signed && pct > 0 && text !== '0.00%' ? `+${text}` : text;
}

/** A small rate (commission, slippage) as a percentage with up to 4 decimals: `0.025%`. */
export function formatRate(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '—';
  }
  const text = (value * 100).toFixed(4).replace(/\.?0+$/, '');
  return `${text}%`;
}

/** A ratio (Sharpe) with 2 decimals; '—' when missing. */
export function formatRatio(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '—';
  }
  return value.toFixed(2);
}

/** Yuan with thousands separators and 2 decimals; '—' when missing. */
export function formatMoney(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '—';
  }
  const [whole, cents] = Math.abs(value).toFixed(2).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value < 0 ? '-' : ''}${grouped}.${cents}`;
}

/** Direction of a return: up (gain), down (loss) or flat/unknown. */
export function trendOf(
  value: number | null | undefined
): 'up' | 'down' | 'flat' {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return 'flat';
  }
  if (Math.abs(value) < 5e-5) {
    return 'flat';
  }
  return value > 0 ? 'up' : 'down';
}

/**
 * Text colour of a return under the up/down convention of the settings
 * (red up, green down for A-shares); undefined for flat.
 */
export function trendColor(
  value: number | null | undefined,
  convention: string | null | undefined
): string | undefined {
  const trend = trendOf(value);
  if (trend === 'flat') {
    return undefined;
  }
  const colors = trendColors(convention);
  return trend === 'up' ? colors.up : colors.down;
}

/** Seconds a job ran (or has been running), null before it started. */
export function elapsedSeconds(
  job: IBacktestJob,
  now: number = Date.now()
): number | null {
  if (!job.started) {
    return null;
  }
  const started = Date.parse(job.started);
  const finished = job.finished ? Date.parse(job.finished) : now;
  if (!Number.isFinite(started) || !Number.isFinite(finished)) {
    return null;
  }
  return Math.max(0, (finished - started) / 1000);
}

/** Put `job` into `jobs` (replacing the one with its id, else first). */
export function upsertJob(
  jobs: readonly IBacktestJob[],
  job: IBacktestJob
): IBacktestJob[] {
  const index = jobs.findIndex(j => j.id === job.id);
  if (index < 0) {
    return [job, ...jobs];
  }
  const copy = [...jobs];
  copy[index] = job;
  return copy;
}

// ---- poller ----------------------------------------------------------------

/** Dependencies of {@link BacktestJobsPoller} (the fetch is injectable). */
export interface IJobsPollerOptions {
  /** Fetch the job list. */
  fetch: (init: RequestInit) => Promise<IBacktestJobsResponse>;
  /** Called with every list fetched. */
  onJobs: (response: IBacktestJobsResponse) => void;
  /** Called when a fetch fails (not when it is aborted). */
  onError: (error: unknown) => void;
  /** Whether the panel is shown; a hidden panel pauses polling until {@link BacktestJobsPoller.refresh}. */
  isVisible?: () => boolean;
  intervalMs?: number;
  maxErrors?: number;
}

/**
 * Keep the job list fresh: fetch on {@link refresh}, then every
 * `intervalMs` while a job is queued or running, and stop once every job is
 * final (done, failed or cancelled). A fetch that fails keeps polling while
 * jobs were active, up to `maxErrors` failures in a row.
 */
export class BacktestJobsPoller {
  constructor(options: IJobsPollerOptions) {
    this._options = options;
  }

  /** True while a next poll is scheduled. */
  get polling(): boolean {
    return this._timer !== 0;
  }

  /** True when the last poll was skipped because the panel was hidden. */
  get paused(): boolean {
    return this._paused;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Fetch now (cancelling any scheduled poll and any fetch in flight). */
  async refresh(): Promise<void> {
    if (this._disposed) {
      return;
    }
    this._clearTimer();
    this._paused = false;
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    let response: IBacktestJobsResponse;
    try {
      response = await this._options.fetch({ signal: abort.signal });
    } catch (error) {
      if (this._disposed || abort.signal.aborted) {
        return;
      }
      this._errors++;
      this._options.onError(error);
      const limit = this._options.maxErrors ?? JOBS_MAX_POLL_ERRORS;
      if (this._active && this._errors < limit) {
        this._schedule();
      }
      return;
    }
    if (this._disposed || abort.signal.aborted) {
      return;
    }
    this._errors = 0;
    this._active = anyActive(response.jobs);
    this._options.onJobs(response);
    if (this._active) {
      this._schedule();
    }
  }

  /** Stop polling for good. */
  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._clearTimer();
    this._abort?.abort();
    this._abort = null;
  }

  private _schedule(): void {
    this._clearTimer();
    this._timer = window.setTimeout(() => {
      this._timer = 0;
      const visible = this._options.isVisible?.() ?? true;
      if (!visible) {
        this._paused = true;
        return;
      }
      void this.refresh();
    }, this._options.intervalMs ?? JOBS_POLL_MS);
  }

  private _clearTimer(): void {
    if (this._timer) {
      window.clearTimeout(this._timer);
      this._timer = 0;
    }
  }

  private readonly _options: IJobsPollerOptions;
  private _timer = 0;
  private _abort: AbortController | null = null;
  private _active = false;
  private _errors = 0;
  private _paused = false;
  private _disposed = false;
}
