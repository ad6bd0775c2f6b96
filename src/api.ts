/**
 * The single network seam of the frontend: every call to the
 * jupyterlab-quant server extension goes through `requestAPI` (JSON) or
 * `requestText` (text), which share one private `send`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type {
  IApiErrorBody,
  IBarsQuery,
  IBarsResponse,
  ICheckResponse,
  ISourcesResponse,
  IStatusResponse,
  ISymbolsResponse,
  IUpdateJob,
  IUpdateRequest
} from './models';
import type {
  IBacktestJob,
  IBacktestJobsQuery,
  IBacktestJobsResponse,
  IBacktestRequest,
  IBacktestResult,
  IBacktestStrategiesResponse,
  IBrokerProfilesResponse
} from './models/backtest';
import type {
  IAlertsResponse,
  INotifyChannel,
  INotifyChannelsResponse,
  INotifyChannelUpdate,
  INotifyLogResponse,
  INotifyTestResult,
  IRiskAccount,
  IRiskCheckResponse,
  IRiskRule,
  IRiskRuleCreate,
  IRiskRulesResponse,
  IRiskRuleUpdate,
  IRuleTypesResponse,
  IWatchlistResponse
} from './models/live';
import type {
  IStrategyDiffResponse,
  IStrategyListResponse,
  IStrategyResponse,
  IStrategySaved,
  IStrategyVersionsResponse
} from './models/strategy';

/** REST namespace and API version of the server extension. */
export const API_NAMESPACE = 'jupyterlab-quant';
export const API_VERSION = 'v1';

/** Query parameters; `undefined`/`null`/empty values are left out. */
export type QueryParams = Record<
  string,
  string | number | boolean | null | undefined
>;

/**
 * An error answered by the server (or the failure to reach it).
 *
 * `message` is the server's human readable message (already localised by
 * the server, it says what to do); `code` the machine readable error name.
 */
export class QuantApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string | null = null
  ) {
    super(message);
    this.name = 'QuantApiError';
  }

  /** True for "not found" answers (unknown symbol, no data). */
  get isNotFound(): boolean {
    return this.status === 404;
  }
}

/** Build the `?query` string with the empty parameters dropped ('' if none). */
export function buildQuery(params: QueryParams = {}): string {
  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') {
      continue;
    }
    query[key] = String(value);
  }
  return URLExt.objectToQueryString(query);
}

/**
 * URL of a Voila dashboard served by this Jupyter server
 * (`/jupyterlab-quant/dashboards/<name>`), e.g. the tearsheet of a backtest
 * with `{ report: jobId }`. It opens in a browser tab with the lab's login.
 */
export function dashboardUrl(
  name: 'monitor' | 'tearsheet' | 'data_health',
  params: QueryParams = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  return (
    URLExt.join(settings.baseUrl, API_NAMESPACE, 'dashboards', name) +
    buildQuery(params)
  );
}

/** Turn a non-ok response into a `QuantApiError`, keeping the server's words. */
export async function errorFromResponse(
  response: Response
): Promise<QuantApiError> {
  const text = await response.text().catch(() => '');
  let body: Partial<IApiErrorBody> | null = null;
  try {
    body = text ? (JSON.parse(text) as Partial<IApiErrorBody>) : null;
  } catch {
    body = null;
  }
  if (body && typeof body.message === 'string' && body.message) {
    return new QuantApiError(
      response.status,
      typeof body.error === 'string' ? body.error : `http_${response.status}`,
      body.message,
      typeof body.hint === 'string' && body.hint ? body.hint : null
    );
  }
  if (response.status === 404 && !body) {
    // Not our JSON: the route itself is missing.
    return new QuantApiError(
      404,
      'extension_unavailable',
      'The jupyterlab-quant server extension did not answer (HTTP 404).',
      'Check `jupyter server extension list` shows jupyterlab_quant enabled, then restart JupyterLab.'
    );
  }
  const reason = response.statusText ? ` ${response.statusText}` : '';
  return new QuantApiError(
    response.status,
    `http_${response.status}`,
    `Server error (HTTP ${response.status}${reason}).`,
    null
  );
}

/**
 * Send one request to the jupyterlab-quant REST API and answer its ok
 * response (GET unless `init.method` says otherwise).
 *
 * A failure to reach the server becomes a `network_error` `QuantApiError`
 * (an abort is re-thrown as is); a non-ok answer becomes the
 * `QuantApiError` of {@link errorFromResponse}.
 */
async function send(
  path: string,
  params: QueryParams,
  settings: ServerConnection.ISettings,
  init: RequestInit
): Promise<Response> {
  const url =
    URLExt.join(settings.baseUrl, API_NAMESPACE, API_VERSION, path) +
    buildQuery(params);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      url,
      { method: 'GET', ...init },
      settings
    );
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') {
      throw error;
    }
    throw new QuantApiError(
      0,
      'network_error',
      `Cannot reach the Jupyter server: ${(error as Error).message ?? error}`,
      'Check that JupyterLab is still running.'
    );
  }
  if (!response.ok) {
    throw await errorFromResponse(response);
  }
  return response;
}

/**
 * GET a JSON resource of the jupyterlab-quant REST API.
 *
 * @param path - path below `/jupyterlab-quant/v1/`, e.g. `bars`
 * @param params - query parameters
 * @param settings - server connection settings (defaults to the page's)
 * @param init - extra fetch options (e.g. an AbortSignal)
 */
export async function requestAPI<T>(
  path: string,
  params: QueryParams = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  init: RequestInit = {}
): Promise<T> {
  const response = await send(path, params, settings, init);
  const text = await response.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new QuantApiError(
      response.status,
      'bad_response',
      'The server answered with something that is not JSON.',
      null
    );
  }
}

/** Typed client of the REST contract, bound to one server connection. */
export class QuantClient {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  status(init?: RequestInit): Promise<IStatusResponse> {
    return requestAPI<IStatusResponse>('status', {}, this.settings, init);
  }

  symbols(
    q: string,
    options: { kind?: string; limit?: number } = {},
    init?: RequestInit
  ): Promise<ISymbolsResponse> {
    return requestAPI<ISymbolsResponse>(
      'symbols',
      { q, kind: options.kind, limit: options.limit ?? 20 },
      this.settings,
      init
    );
  }

  bars(query: IBarsQuery, init?: RequestInit): Promise<IBarsResponse> {
    return requestAPI<IBarsResponse>('bars', { ...query }, this.settings, init);
  }

  /** Health of the upstream data sources (circuit state, counts). */
  sources(init?: RequestInit): Promise<ISourcesResponse> {
    return requestAPI<ISourcesResponse>('sources', {}, this.settings, init);
  }

  /** Start a background data update; answers 409 while one is running. */
  startUpdate(
    request: IUpdateRequest,
    init?: RequestInit
  ): Promise<IUpdateJob> {
    return requestAPI<IUpdateJob>('update', {}, this.settings, {
      ...init,
      method: 'POST',
      body: JSON.stringify(request)
    });
  }

  /** Progress of the update job `id`. */
  updateJob(id: string, init?: RequestInit): Promise<IUpdateJob> {
    return requestAPI<IUpdateJob>(
      `update/${encodeURIComponent(id)}`,
      {},
      this.settings,
      init
    );
  }

  /** Data health findings (`jlq data check`) of `symbols`. */
  check(symbols: string[], init?: RequestInit): Promise<ICheckResponse> {
    return requestAPI<ICheckResponse>(
      'check',
      { symbols: symbols.join(',') },
      this.settings,
      init
    );
  }
}

// ---- Backtests (回测) -------------------------------------------------------

/** Rows asked for by the backtest job list. */
export const BACKTEST_LIST_LIMIT = 100;

/**
 * GET a text resource (e.g. the HTML report of a backtest) of the REST API.
 *
 * Authenticated like {@link requestAPI} (same ServerConnection settings);
 * errors are `QuantApiError`s with the server's message.
 */
export async function requestText(
  path: string,
  params: QueryParams = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  init: RequestInit = {}
): Promise<string> {
  const response = await send(path, params, settings, init);
  return response.text();
}

/** Typed client of the backtest endpoints, bound to one server connection. */
export class BacktestClient {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** `GET /backtests`: newest first; archived jobs only when asked for (`archived: 1|all`). */
  list(
    query: IBacktestJobsQuery = {},
    init?: RequestInit
  ): Promise<IBacktestJobsResponse> {
    return requestAPI<IBacktestJobsResponse>(
      'backtests',
      {
        limit: query.limit ?? BACKTEST_LIST_LIMIT,
        archived: query.archived === 'all' ? 'all' : query.archived ? 1 : 0
      },
      this.settings,
      init
    );
  }

  /** `GET /backtests/<id>`. */
  get(id: string, init?: RequestInit): Promise<IBacktestJob> {
    return requestAPI<IBacktestJob>(
      `backtests/${encodeURIComponent(id)}`,
      {},
      this.settings,
      init
    );
  }

  /** `POST /backtests`: queue a backtest (202 + job; 400 on bad input). */
  submit(request: IBacktestRequest, init?: RequestInit): Promise<IBacktestJob> {
    return requestAPI<IBacktestJob>('backtests', {}, this.settings, {
      ...init,
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request)
    });
  }

  /** `DELETE /backtests/<id>`: cancel a queued or running job. */
  cancel(id: string, init?: RequestInit): Promise<IBacktestJob> {
    return requestAPI<IBacktestJob>(
      `backtests/${encodeURIComponent(id)}`,
      {},
      this.settings,
      { ...init, method: 'DELETE' }
    );
  }

  /** `GET /backtests/<id>/result`: the full result JSON of a finished job. */
  result(id: string, init?: RequestInit): Promise<IBacktestResult> {
    return requestAPI<IBacktestResult>(
      `backtests/${encodeURIComponent(id)}/result`,
      {},
      this.settings,
      init
    );
  }

  /** `GET /backtests/<id>/report?lang=`: the self-contained HTML report. */
  report(
    id: string,
    lang: 'zh' | 'en' = 'zh',
    init?: RequestInit
  ): Promise<string> {
    return requestText(
      `backtests/${encodeURIComponent(id)}/report`,
      { lang },
      this.settings,
      init
    );
  }

  /** `GET /backtest/strategies`: strategy files under the Jupyter root. */
  strategies(init?: RequestInit): Promise<IBacktestStrategiesResponse> {
    return requestAPI<IBacktestStrategiesResponse>(
      'backtest/strategies',
      {},
      this.settings,
      init
    );
  }

  /** `GET /backtest/profiles`: broker fee profiles. */
  profiles(init?: RequestInit): Promise<IBrokerProfilesResponse> {
    return requestAPI<IBrokerProfilesResponse>(
      'backtest/profiles',
      {},
      this.settings,
      init
    );
  }
}

// ---- Strategy vault (策略库) -------------------------------------------------

/** Path of a strategy below `/jupyterlab-quant/v1/` (the name percent-encoded). */
export function strategyPath(name: string, ...rest: string[]): string {
  return ['strategies', encodeURIComponent(name), ...rest].join('/');
}

/**
 * Typed client of the strategy vault endpoints (encrypted, versioned
 * strategies), bound to one server connection. A locked vault answers 423
 * (`vault_locked`, with a hint how to unlock it).
 */
export class StrategyClient {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** `GET /strategies`. */
  list(init?: RequestInit): Promise<IStrategyListResponse> {
    return requestAPI<IStrategyListResponse>(
      'strategies',
      {},
      this.settings,
      init
    );
  }

  /** `GET /strategies/<name>[?version=N]`: the source (latest by default) and the history. */
  get(
    name: string,
    version?: number | null,
    init?: RequestInit
  ): Promise<IStrategyResponse> {
    return requestAPI<IStrategyResponse>(
      strategyPath(name),
      { version },
      this.settings,
      init
    );
  }

  /** `PUT /strategies/<name>`: store a new version (no-op when identical to the latest). */
  save(
    name: string,
    content: string,
    message?: string,
    init?: RequestInit
  ): Promise<IStrategySaved> {
    return requestAPI<IStrategySaved>(strategyPath(name), {}, this.settings, {
      ...init,
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(message ? { content, message } : { content })
    });
  }

  /** `DELETE /strategies/<name>`: the strategy and all its versions. */
  remove(name: string, init?: RequestInit): Promise<unknown> {
    return requestAPI<unknown>(strategyPath(name), {}, this.settings, {
      ...init,
      method: 'DELETE'
    });
  }

  /** `GET /strategies/<name>/versions`: oldest first. */
  versions(
    name: string,
    init?: RequestInit
  ): Promise<IStrategyVersionsResponse> {
    return requestAPI<IStrategyVersionsResponse>(
      strategyPath(name, 'versions'),
      {},
      this.settings,
      init
    );
  }

  /** `GET /strategies/<name>/diff?from=&to=`: unified diff. */
  diff(
    name: string,
    from: number,
    to: number,
    init?: RequestInit
  ): Promise<IStrategyDiffResponse> {
    return requestAPI<IStrategyDiffResponse>(
      strategyPath(name, 'diff'),
      { from, to },
      this.settings,
      init
    );
  }

  /** `POST /strategies/<name>/restore`: the old version becomes a new latest one. */
  restore(
    name: string,
    version: number,
    message?: string,
    init?: RequestInit
  ): Promise<IStrategySaved> {
    return requestAPI<IStrategySaved>(
      strategyPath(name, 'restore'),
      {},
      this.settings,
      {
        ...init,
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(message ? { version, message } : { version })
      }
    );
  }
}

// ---- Live monitoring: risk (风控), notifications (通知), watchlist (自选) ------

/** JSON body of a request (`Content-Type: application/json`). */
function jsonBody(
  method: string,
  body: unknown,
  init?: RequestInit
): RequestInit {
  return {
    ...init,
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body)
  };
}

/** Send a request whose answer has no body (e.g. 204); answer nothing. */
async function requestVoid(
  path: string,
  settings: ServerConnection.ISettings,
  init: RequestInit
): Promise<void> {
  await send(path, {}, settings, init);
}

/** Alerts asked for by the alert feed. */
export const ALERTS_LIMIT = 50;

/** Rows asked for by the delivery log. */
export const NOTIFY_LOG_LIMIT = 100;

/**
 * Typed client of the risk endpoints (风控): rule kinds, rules, a check now,
 * the account and the alerts, bound to one server connection.
 */
export class RiskClient {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** `GET /risk/rule-types`: rule kinds with their parameter descriptors. */
  ruleTypes(init?: RequestInit): Promise<IRuleTypesResponse> {
    return requestAPI<IRuleTypesResponse>(
      'risk/rule-types',
      {},
      this.settings,
      init
    );
  }

  /** `GET /risk/rules`: the rules with their last status. */
  rules(init?: RequestInit): Promise<IRiskRulesResponse> {
    return requestAPI<IRiskRulesResponse>(
      'risk/rules',
      {},
      this.settings,
      init
    );
  }

  /** `POST /risk/rules`: add a rule (400 names the bad field). */
  addRule(rule: IRiskRuleCreate, init?: RequestInit): Promise<IRiskRule> {
    return requestAPI<IRiskRule>(
      'risk/rules',
      {},
      this.settings,
      jsonBody('POST', rule, init)
    );
  }

  /** `PATCH /risk/rules/<id>`: change params, name or enabled. */
  updateRule(
    id: number,
    update: IRiskRuleUpdate,
    init?: RequestInit
  ): Promise<IRiskRule> {
    return requestAPI<IRiskRule>(
      `risk/rules/${encodeURIComponent(String(id))}`,
      {},
      this.settings,
      jsonBody('PATCH', update, init)
    );
  }

  /** `DELETE /risk/rules/<id>` (204). */
  removeRule(id: number, init?: RequestInit): Promise<void> {
    return requestVoid(
      `risk/rules/${encodeURIComponent(String(id))}`,
      this.settings,
      { ...init, method: 'DELETE' }
    );
  }

  /** `POST /risk/check`: one pass of every rule on the latest quotes. */
  check(init?: RequestInit): Promise<IRiskCheckResponse> {
    return requestAPI<IRiskCheckResponse>(
      'risk/check',
      {},
      this.settings,
      jsonBody('POST', {}, init)
    );
  }

  /** `GET /risk/account`: cash, value and positions. */
  account(init?: RequestInit): Promise<IRiskAccount> {
    return requestAPI<IRiskAccount>('risk/account', {}, this.settings, init);
  }

  /** `GET /alerts?limit=`: newest first, with their deliveries. */
  alerts(
    limit: number = ALERTS_LIMIT,
    init?: RequestInit
  ): Promise<IAlertsResponse> {
    return requestAPI<IAlertsResponse>(
      'alerts',
      { limit },
      this.settings,
      init
    );
  }
}

/**
 * Typed client of the notification endpoints (通知渠道: WeCom robot,
 * ServerChan, PushPlus, …), bound to one server connection. Secrets are
 * write-only: the server never sends them back.
 */
export class NotifyClient {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** `GET /notify/channels`. */
  channels(init?: RequestInit): Promise<INotifyChannelsResponse> {
    return requestAPI<INotifyChannelsResponse>(
      'notify/channels',
      {},
      this.settings,
      init
    );
  }

  /** `PUT /notify/channels/<name>`: enable, options, new secrets. */
  configureChannel(
    name: string,
    update: INotifyChannelUpdate,
    init?: RequestInit
  ): Promise<INotifyChannel> {
    return requestAPI<INotifyChannel>(
      `notify/channels/${encodeURIComponent(name)}`,
      {},
      this.settings,
      jsonBody('PUT', update, init)
    );
  }

  /** `POST /notify/channels/<name>/test`: send a test message now. */
  testChannel(name: string, init?: RequestInit): Promise<INotifyTestResult> {
    return requestAPI<INotifyTestResult>(
      `notify/channels/${encodeURIComponent(name)}/test`,
      {},
      this.settings,
      jsonBody('POST', {}, init)
    );
  }

  /** `GET /notify/log?limit=[&status=]`: deliveries, newest first. */
  log(
    limit: number = NOTIFY_LOG_LIMIT,
    status?: string | null,
    init?: RequestInit
  ): Promise<INotifyLogResponse> {
    return requestAPI<INotifyLogResponse>(
      'notify/log',
      { limit, status },
      this.settings,
      init
    );
  }
}

/** Typed client of the watchlist (自选) endpoints. */
export class WatchlistClient {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** `GET /watchlist`. */
  get(init?: RequestInit): Promise<IWatchlistResponse> {
    return requestAPI<IWatchlistResponse>('watchlist', {}, this.settings, init);
  }

  /** `PUT /watchlist`: replace the list; answers the stored (normalised) list. */
  put(symbols: string[], init?: RequestInit): Promise<IWatchlistResponse> {
    return requestAPI<IWatchlistResponse>(
      'watchlist',
      {},
      this.settings,
      jsonBody('PUT', { symbols }, init)
    );
  }
}
