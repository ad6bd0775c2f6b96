/**
 * Wire models of live monitoring: realtime quotes (实时行情), risk rules
 * (风控规则), alerts (风险提醒), notification channels (通知渠道), the
 * watchlist (自选) and the messages of the `/jupyterlab-quant/v1/ws`
 * WebSocket.
 *
 * They mirror `jupyterlab_quant/core/live.py` (`Quote`, `Alert`) and the
 * issue 6 REST/WebSocket contract one to one; the server's JSON Schemas
 * (`server_extension/schema/`, from `jupyterlab_quant/server/models.py`) are
 * checked against them by `__tests__/live-models.spec.ts`. A field the server
 * always sends is required (possibly `null`); an optional field is one it
 * sends only sometimes, or one marked "always sent" below: those are still
 * optional because test fixtures (risk-logic, risk-panel, watchlist-table
 * specs) leave them out.
 */

/** A text the server gives in both languages. */
export interface ILocalizedText {
  zh: string;
  en: string;
}

// ---- quotes ------------------------------------------------------------------

/**
 * `Quote.to_dict()`: the latest snapshot of one symbol. `price` is null
 * while the symbol has not traded (停牌, or no match yet today).
 */
export interface IQuote {
  symbol: string;
  price: number | null;
  /** 前收盘: the exchange's reference price of the day. */
  preclose: number | null;
  /** Exchange time `YYYY-MM-DDTHH:MM:SS` (Asia/Shanghai). */
  time: string;
  /** Always sent, like `high`, `low` and `amount`. */
  open?: number | null;
  high?: number | null;
  low?: number | null;
  /** Shares traded today. */
  volume: number;
  /** Yuan traded today. */
  amount?: number | null;
  /** Short name (简称); may be empty. */
  name: string;
}

// ---- alerts ------------------------------------------------------------------

/** Severity of an alert. */
export type AlertSeverity = 'info' | 'warning' | 'critical';

/** `Alert.to_dict()`: one breach of one rule. */
export interface IAlert {
  id: string;
  /** De-duplication key of the condition, e.g. `drawdown:default`. */
  key: string;
  /** Rule kind, e.g. `drawdown`. */
  rule: string;
  severity: AlertSeverity | string;
  /** Short, Chinese first: "回撤超限 12.3% ≥ 10%". */
  title: string;
  message: string;
  /** Exchange time `YYYY-MM-DDTHH:MM:SS`. */
  time: string;
  /** Always sent (null when not about one rule, symbol, value), like the next three. */
  rule_id?: number | null;
  symbol?: string | null;
  value?: number | null;
  threshold?: number | null;
}

/** Status of one delivery of an alert to one channel (`notify/log.py` STATUSES). */
export type DeliveryStatus =
  | 'pending'
  | 'sent'
  | 'retrying'
  | 'failed'
  | 'suppressed'
  | 'quiet'
  | 'digested'
  | 'deduped';

/** How an alert went out on one channel (`GET /alerts`). */
export interface IAlertDelivery {
  channel: string;
  status: DeliveryStatus | string;
  error: string | null;
  /** Always sent, like `sent`. */
  attempts?: number;
  /** When it was sent, exchange time (null until sent). */
  sent?: string | null;
}

/** An alert of `GET /alerts`, with its deliveries. */
export interface IAlertRecord extends IAlert {
  deliveries: IAlertDelivery[];
}

/** `GET /alerts?limit=`. */
export interface IAlertsResponse {
  alerts: IAlertRecord[];
}

// ---- risk rules ----------------------------------------------------------------

/** What a rule watches. */
export type RuleScope = 'account' | 'strategy' | 'market' | 'compliance';

/** Type of a rule parameter. */
export type RuleParamType = 'number' | 'integer' | 'boolean' | 'string';

/** Unit of a numeric parameter. */
export type RuleParamUnit = '%' | 'CNY' | 'count' | '';

/** Value of a rule parameter. */
export type RuleParamValue = number | boolean | string | null;

/** One parameter of a rule kind, as the rule describes it. */
export interface IRuleParamDescriptor {
  name: string;
  type: RuleParamType | string;
  /** null: the parameter is required. */
  default: RuleParamValue;
  /** Inclusive bounds, sent only when the parameter has them. */
  min?: number;
  max?: number;
  /** Always sent ('' when unitless). */
  unit?: RuleParamUnit | string;
  label: ILocalizedText;
}

/** One rule kind of `GET /risk/rule-types`. */
export interface IRuleType {
  kind: string;
  scope: RuleScope | string;
  label: ILocalizedText;
  description: ILocalizedText;
  params: IRuleParamDescriptor[];
  /** Severity of the alerts the rule raises; always sent. */
  severity?: AlertSeverity | string;
}

/** `GET /risk/rule-types`. */
export interface IRuleTypesResponse {
  types: IRuleType[];
}

/** State of a rule after the last check. */
export type RuleState = 'ok' | 'breach' | 'error' | 'disabled' | 'no_data';

/** Last status of a rule (inside a {@link IRiskRule}). */
export interface IRuleStatusInfo {
  state: RuleState | string;
  value: number | null;
  threshold: number | null;
  message: string;
  symbols: string[];
  /** Exchange time of the check; null before the first one. */
  checked_at: string | null;
}

/** A stored risk rule (`GET /risk/rules`). */
export interface IRiskRule {
  id: number;
  kind: string;
  name: string;
  scope: RuleScope | string;
  params: Record<string, RuleParamValue>;
  enabled: boolean;
  strategy: string | null;
  /** Never null on the wire (`no_data` before the first check, `disabled` when off). */
  status: IRuleStatusInfo | null;
}

/** `GET /risk/rules`. */
export interface IRiskRulesResponse {
  rules: IRiskRule[];
}

/** `POST /risk/rules` body. */
export interface IRiskRuleCreate {
  kind: string;
  params: Record<string, RuleParamValue>;
  name?: string;
  enabled?: boolean;
  strategy?: string | null;
}

/** `PATCH /risk/rules/<id>` body. */
export interface IRiskRuleUpdate {
  params?: Record<string, RuleParamValue>;
  enabled?: boolean;
  name?: string;
}

/** Status of one rule after a check (`POST /risk/check`, WS `risk`). */
export interface IRuleStatus {
  rule_id: number;
  kind: string;
  state: RuleState | string;
  value: number | null;
  threshold: number | null;
  message: string;
  symbols: string[];
  /** Always sent, like `name` and `scope`. */
  checked_at?: string | null;
  name?: string;
  scope?: RuleScope | string;
}

/** Where the day-start value (日初市值) of the account comes from. */
export type DayStartSource =
  'preclose' | 'day_state' | 'previous_check' | 'first_check';

/** The account summary of a check (`AccountSnapshot.summary_dict`). */
export interface IRiskAccountSummary {
  name: string;
  /** Total value: cash + market value (null when not finite). */
  value: number | null;
  cash: number | null;
  market_value: number | null;
  day_start_value: number | null;
  day_start_source: DayStartSource | string;
  peak_value: number | null;
  peak_at: string | null;
  /** Positions not valued at a live price. */
  stale: string[];
}

/** `POST /risk/check`: one pass over the latest quotes. */
export interface IRiskCheckResponse {
  checked_at: string;
  statuses: IRuleStatus[];
  alerts: IAlert[];
  /** Some rule is in breach; always sent, like `account`. */
  breached?: boolean;
  account?: IRiskAccountSummary;
}

/** Which price valued a position: live, 前收盘, the last check's, or none (cost). */
export type PriceSource = 'live' | 'preclose' | 'last' | 'cost';

/** Board of a symbol (`core/types.py` Board). */
export type Board =
  'main' | 'chinext' | 'star' | 'bse' | 'b_share' | 'index' | 'etf' | 'futures';

/** One holding of `GET /risk/account`. */
export interface IAccountPosition {
  symbol: string;
  /** Short name (简称); may be empty. */
  name: string;
  quantity: number;
  /** Cost price (成本价). */
  cost: number;
  price: number | null;
  value: number | null;
  /** Fraction of the account value. */
  weight: number | null;
  /** Unrealised P&L in yuan (浮动盈亏). */
  pnl: number | null;
  strategy: string | null;
  /** Unrealised P&L as a fraction of the cost; always sent, like the rest. */
  pnl_ratio?: number | null;
  price_source?: PriceSource | string;
  /** Date the position was opened, `YYYY-MM-DD`. */
  opened?: string | null;
  board?: Board | string;
  /** Highest price since opened (trailing stops). */
  high?: number | null;
}

/** Trading permissions: ChiNext (创业板), STAR (科创板); both always sent. */
export interface IAccountPermissions {
  chinext?: boolean;
  star?: boolean;
}

/**
 * `GET /risk/account`: the user-maintained account, valued: the
 * {@link IRiskAccountSummary} fields plus `as_of`, `positions`, `permissions`.
 */
export interface IRiskAccount {
  name: string;
  cash: number;
  value: number;
  positions: IAccountPosition[];
  permissions: IAccountPermissions;
  /** Always sent, like the rest of the summary. */
  market_value?: number | null;
  day_start_value?: number | null;
  day_start_source?: DayStartSource | string;
  peak_value?: number | null;
  peak_at?: string | null;
  stale?: string[];
  /** Exchange time of the valuation. */
  as_of?: string;
}

// ---- notification channels -------------------------------------------------------

/** Value of a channel option. */
export type ChannelOptionValue = string | number | boolean | null | string[];

/** One WeChat/notification channel (`GET /notify/channels`). */
export interface INotifyChannel {
  name: string;
  label: ILocalizedText;
  enabled: boolean;
  /** All required secrets/options are set. */
  configured: boolean;
  /** What is missing before it can send (field names); always sent. */
  missing?: string[];
  /** Human readable rate limit, e.g. "20 条/分钟 (20 per minute)". */
  rate_limit: string;
  sent_today: number;
  /** Alerts held back by the rate limit (sent later as a digest); always sent. */
  held?: number;
  /** Paused after failures until this time, and why; always sent. */
  paused_until?: string | null;
  paused_reason?: string | null;
  /** Non-secret settings. */
  options: Record<string, ChannelOptionValue>;
  /** Names of the secret fields (never sent back). */
  secret_fields: string[];
  /** Secret fields that have a value. */
  secrets_set: string[];
  /** Secret fields set from environment variables; always sent, like the next. */
  secrets_env?: string[];
  /** Why the secrets cannot be read (e.g. the vault is locked). */
  secret_error?: string | null;
  /** The channel's API address (its default when not overridden); never null on the wire. */
  base_url: string | null;
  /** Always sent. */
  base_url_default?: string;
}

/** `GET /notify/channels`. */
export interface INotifyChannelsResponse {
  channels: INotifyChannel[];
}

/** `PUT /notify/channels/<name>` body. */
export interface INotifyChannelUpdate {
  enabled?: boolean;
  options?: Record<string, ChannelOptionValue>;
  secrets?: Record<string, string>;
}

/** `POST /notify/channels/<name>/test`. */
export interface INotifyTestResult {
  status: DeliveryStatus | string;
  error?: string | null;
}

/** What a delivery carried: one alert, a digest of held alerts, a test message. */
export type DeliveryKind = 'alert' | 'digest' | 'test';

/** One row of the delivery log (`GET /notify/log`). */
export interface INotifyDelivery {
  id: number;
  /** null for digests and test messages. */
  alert_id: string | null;
  channel: string;
  status: DeliveryStatus | string;
  attempts: number;
  error: string | null;
  /** Exchange time `YYYY-MM-DDTHH:MM:SS`, like `updated`, `next_attempt`, `sent`. */
  created: string;
  sent: string | null;
  title: string;
  /** Always sent, like every field below. */
  alert_key?: string | null;
  kind?: DeliveryKind | string;
  error_code?: string | null;
  updated?: string;
  next_attempt?: string | null;
  severity?: AlertSeverity | string | null;
  /** The digest an alert went out in. */
  digest_id?: number | null;
}

/** `GET /notify/log`. */
export interface INotifyLogResponse {
  deliveries: INotifyDelivery[];
}

// ---- watchlist -------------------------------------------------------------------

/** `GET/PUT /watchlist`. */
export interface IWatchlistResponse {
  symbols: string[];
}

// ---- WebSocket messages ----------------------------------------------------------

/** Order of the quote fields in a `quotes` row (`Quote.FIELDS`). */
export const QUOTE_FIELDS = [
  'symbol',
  'price',
  'preclose',
  'time',
  'open',
  'high',
  'low',
  'volume',
  'amount',
  'name'
] as const;

/** One quote of a `quotes` batch on the wire, in {@link QUOTE_FIELDS} order. */
export type QuoteRow = [
  string,
  number | null,
  number | null,
  string,
  number | null,
  number | null,
  number | null,
  number,
  number | null,
  string
];

/**
 * Server → client on the wire: a batch of quotes (one per bus publish) —
 * the field names once, then one list per quote (half the bytes of a list
 * of objects at 5,000 quotes every 3 s). The socket turns it into an
 * {@link IQuotesMessage} before listeners see it.
 */
export interface IQuotesWireMessage {
  type: 'quotes';
  /** When the server published it, epoch ms (float). */
  sent: number;
  fields: string[];
  rows: QuoteRow[];
}

/** A batch of quotes as listeners get it (decoded from the wire rows). */
export interface IQuotesMessage {
  type: 'quotes';
  /** When the server published it, epoch ms (float). */
  sent: number;
  quotes: IQuote[];
}

/** The quotes of a wire batch as objects (fields named by the batch). */
export function quotesFromRows(
  fields: readonly string[],
  rows: readonly unknown[][]
): IQuote[] {
  const out: IQuote[] = new Array(rows.length);
  const n = fields.length;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const quote: Record<string, unknown> = {};
    for (let j = 0; j < n; j++) {
      quote[fields[j]] = row[j];
    }
    out[i] = quote as unknown as IQuote;
  }
  return out;
}

/** Server → client: a new alert. */
export interface IAlertMessage {
  type: 'alert';
  alert: IAlert;
}

/** Server → client: rule statuses of a check. */
export interface IRiskMessage {
  type: 'risk';
  statuses: IRuleStatus[];
  checked_at: string;
}

/** Server → client: snapshot on connect/subscribe. */
export interface IHelloMessage {
  type: 'hello';
  symbols: string[];
  quotes: IQuote[];
}

/** Server → client: the server could not handle a client message. */
export interface IErrorMessage {
  type: 'error';
  message: string;
}

/** Any server → client message. */
export type LiveMessage =
  IQuotesMessage | IAlertMessage | IRiskMessage | IHelloMessage | IErrorMessage;

/** Type of a server → client message. */
export type LiveMessageType = LiveMessage['type'];

/** Client → server: replace the subscription. */
export interface ISubscribeMessage {
  type: 'subscribe';
  symbols: string[];
}

// ---- scheduler --------------------------------------------------------------------

/**
 * One job of the live scheduler. `last_run`/`last_ok` are exchange time
 * `YYYY-MM-DDTHH:MM:SS`; `next_run` carries the UTC offset.
 */
export interface ISchedulerJob {
  id: string;
  label: string;
  runs: number;
  failures: number;
  last_run: string | null;
  last_ok: string | null;
  last_error: string | null;
  last_result: string | null;
  /** Duration of the last run. */
  seconds: number;
  next_run: string | null;
}

/** `GET /scheduler`: the live scheduler of this server (only the lock holder runs jobs). */
export interface ISchedulerStatus {
  running: boolean;
  leader: boolean;
  /** Quote feed setting: off | auto | live | replay. */
  feed: string;
  /** Lock owner id of this process; null when no scheduler is configured. */
  owner: string | null;
  jobs: ISchedulerJob[];
}
