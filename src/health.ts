/**
 * Pure logic of the source-health badge and the "update data" action of the
 * market panel: labels, tones, ETA text and the update-job poller.
 */
import { QuantApiError } from './api';
import type { ITrans } from './i18n';
import type {
  CircuitState,
  ISourcesResponse,
  IUpdateJob,
  IUpdateRequest,
  SourcesOverall
} from './models';

/** Refresh period of the source-health badge while the panel is visible, ms. */
export const SOURCES_REFRESH_MS = 30_000;
/** Poll period of a running update job, ms. */
export const UPDATE_POLL_MS = 500;
/** Failed polls in a row after which the poller gives up. */
export const UPDATE_MAX_POLL_ERRORS = 5;

/** Visual tone of a status, mapped to JupyterLab's theme colours in CSS. */
export type Tone = 'neutral' | 'success' | 'warn' | 'error';

const OVERALL_TONE: Record<SourcesOverall, Tone> = {
  unknown: 'neutral',
  ok: 'success',
  degraded: 'warn',
  down: 'error'
};

/** Tone of the overall source health. */
export function overallTone(overall: SourcesOverall | string): Tone {
  return OVERALL_TONE[overall as SourcesOverall] ?? 'neutral';
}

/** Label of the overall source health: 未使用 / 正常 / 部分故障 / 不可用. */
export function overallLabel(
  overall: SourcesOverall | string,
  trans: ITrans
): string {
  switch (overall) {
    case 'ok':
      return trans.__('OK');
    case 'degraded':
      return trans.__('Degraded');
    case 'down':
      return trans.__('Down');
    case 'unknown':
      return trans.__('Not used yet');
    default:
      return String(overall);
  }
}

/**
 * The overall health shown by the badge.
 *
 * The server calls sources "ok" while no circuit is open, even when the
 * latest call of a source failed (the breaker opens only after several
 * failures in a row). A source whose last call failed is not healthy, so
 * the badge shows at least "degraded" then.
 */
export function effectiveOverall(response: ISourcesResponse): SourcesOverall {
  if (
    response.overall === 'ok' &&
    response.items.some(item => item.consecutive_failures > 0)
  ) {
    return 'degraded';
  }
  return response.overall;
}

/** Label of a source's circuit breaker state: 正常 / 熔断 / 半开. */
export function circuitLabel(
  state: CircuitState | string,
  trans: ITrans
): string {
  switch (state) {
    case 'closed':
      return trans.__('Normal');
    case 'open':
      return trans.__('Circuit open');
    case 'half_open':
      return trans.__('Half open');
    default:
      return String(state);
  }
}

/** Tone of a source row: open = error, half open or last call failed = warn. */
export function circuitTone(
  state: CircuitState | string,
  consecutiveFailures: number,
  used: boolean
): Tone {
  if (state === 'open') {
    return 'error';
  }
  if (state === 'half_open' || consecutiveFailures > 0) {
    return 'warn';
  }
  return used ? 'success' : 'neutral';
}

/** Human label of an upstream source name. */
export function sourceLabel(source: string, trans: ITrans): string {
  switch (source) {
    case 'eastmoney':
      return trans.__('Eastmoney (eastmoney)');
    case 'sina':
      return trans.__('Sina (sina)');
    case 'tencent':
      return trans.__('Tencent (tencent)');
    default:
      return source;
  }
}

/** "about 1 min 05 s left"; empty when unknown. */
export function formatEta(
  seconds: number | null | undefined,
  trans: ITrans
): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) {
    return '';
  }
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return trans.__('about %1 s left', s);
  }
  if (s < 3600) {
    const m = Math.floor(s / 60);
    return trans.__(
      'about %1 min %2 s left',
      m,
      String(s % 60).padStart(2, '0')
    );
  }
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return trans.__('about %1 h %2 min left', h, String(m).padStart(2, '0'));
}

/** Local `YYYY-MM-DD HH:MM:SS` of an ISO time stamp ('—' when missing). */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) {
    return '—';
  }
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return iso;
  }
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`
  );
}

/** Progress as a fraction 0..1, or null while the total is not known yet. */
export function progressFraction(job: IUpdateJob): number | null {
  if (job.state !== 'running') {
    return 1;
  }
  if (!job.total || job.total <= 0) {
    return null;
  }
  return Math.max(0, Math.min(1, job.done / job.total));
}

/** What the panel shows of an update. */
export interface IUpdateView {
  /** idle: nothing shown; starting: POST sent; running/done/failed: the job's state. */
  phase: 'idle' | 'starting' | 'running' | 'done' | 'failed';
  job: IUpdateJob | null;
  /** A failure outside the job (409, network, lost job), as the server said it. */
  error: { message: string; hint: string | null } | null;
}

export const IDLE_UPDATE: IUpdateView = {
  phase: 'idle',
  job: null,
  error: null
};

/** Dependencies of {@link UpdatePoller} (the client and timers are injectable). */
export interface IUpdatePollerOptions {
  start: (request: IUpdateRequest) => Promise<IUpdateJob>;
  poll: (id: string) => Promise<IUpdateJob>;
  /** Called on every change of the view. */
  onChange: (view: IUpdateView) => void;
  /** Turn a failure into the message shown. */
  describe: (error: unknown) => { message: string; hint: string | null };
  intervalMs?: number;
  maxPollErrors?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Start an update job and poll it until it finishes.
 *
 * States: idle → starting → running (polled every `intervalMs`) → done | failed.
 * A refused start (409: an update is already running, or a 400) ends in
 * `failed` with the server's message; a poll that fails `maxPollErrors`
 * times in a row (or answers 404: the job was forgotten) also ends `failed`.
 */
export class UpdatePoller {
  constructor(options: IUpdatePollerOptions) {
    this._options = options;
  }

  /** The current view. */
  get view(): IUpdateView {
    return this._view;
  }

  /** True while a job is being started or polled. */
  get busy(): boolean {
    return this._view.phase === 'starting' || this._view.phase === 'running';
  }

  /** Stop polling (the job keeps running on the server). */
  dispose(): void {
    this._disposed = true;
  }

  /** Run one update; resolves with the final view (null once disposed). */
  async run(request: IUpdateRequest): Promise<IUpdateView | null> {
    if (this.busy || this._disposed) {
      return null;
    }
    const {
      start,
      poll,
      describe,
      intervalMs = UPDATE_POLL_MS,
      maxPollErrors = UPDATE_MAX_POLL_ERRORS,
      sleep = defaultSleep
    } = this._options;
    this._set({ phase: 'starting', job: null, error: null });
    let job: IUpdateJob;
    try {
      job = await start(request);
    } catch (error) {
      return this._disposed
        ? null
        : this._set({ phase: 'failed', job: null, error: describe(error) });
    }
    let errors = 0;
    for (;;) {
      if (this._disposed) {
        return null;
      }
      if (job.state !== 'running') {
        return this._set({ phase: job.state, job, error: null });
      }
      this._set({ phase: 'running', job, error: null });
      await sleep(intervalMs);
      if (this._disposed) {
        return null;
      }
      try {
        job = await poll(job.id);
        errors = 0;
      } catch (error) {
        errors++;
        const gone = error instanceof QuantApiError && error.isNotFound;
        if (gone || errors >= maxPollErrors) {
          return this._disposed
            ? null
            : this._set({ phase: 'failed', job, error: describe(error) });
        }
      }
    }
  }

  /** Forget a finished update (hide its message). */
  reset(): void {
    if (!this.busy) {
      this._set(IDLE_UPDATE);
    }
  }

  private _set(view: IUpdateView): IUpdateView {
    this._view = view;
    if (!this._disposed) {
      this._options.onChange(view);
    }
    return view;
  }

  private readonly _options: IUpdatePollerOptions;
  private _view: IUpdateView = IDLE_UPDATE;
  private _disposed = false;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise(resolve => window.setTimeout(resolve, ms));
}
