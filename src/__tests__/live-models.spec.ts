/**
 * The live-monitoring wire models (src/models/live.ts) must match the
 * server's JSON Schema (`server_extension/schema/{watchlist,ws_message,
 * scheduler_status,risk_*,alerts,notify_*}.json`, generated from
 * `jupyterlab_quant/server/models.py`); same pattern as models.spec.ts.
 */
import alertsSchema from '../../server_extension/schema/alerts.json';
import channelsSchema from '../../server_extension/schema/notify_channels.json';
import logSchema from '../../server_extension/schema/notify_log.json';
import accountSchema from '../../server_extension/schema/risk_account.json';
import checkSchema from '../../server_extension/schema/risk_check.json';
import ruleSchema from '../../server_extension/schema/risk_rule.json';
import ruleTypesSchema from '../../server_extension/schema/risk_rule_types.json';
import rulesSchema from '../../server_extension/schema/risk_rules.json';
import schedulerSchema from '../../server_extension/schema/scheduler_status.json';
import watchlistSchema from '../../server_extension/schema/watchlist.json';
import wsSchema from '../../server_extension/schema/ws_message.json';
import {
  AlertSeverity,
  Board,
  DayStartSource,
  DeliveryKind,
  DeliveryStatus,
  IAccountPermissions,
  IAccountPosition,
  IAlert,
  IAlertDelivery,
  IAlertMessage,
  IAlertRecord,
  IAlertsResponse,
  IErrorMessage,
  IHelloMessage,
  ILocalizedText,
  INotifyChannel,
  INotifyChannelsResponse,
  INotifyDelivery,
  INotifyLogResponse,
  IQuote,
  IQuotesWireMessage,
  QUOTE_FIELDS,
  IRiskAccount,
  IRiskAccountSummary,
  IRiskCheckResponse,
  IRiskMessage,
  IRiskRule,
  IRiskRulesResponse,
  IRuleParamDescriptor,
  IRuleStatus,
  IRuleStatusInfo,
  IRuleType,
  IRuleTypesResponse,
  ISchedulerJob,
  ISchedulerStatus,
  IWatchlistResponse,
  LiveMessageType,
  PriceSource,
  RuleParamType,
  RuleParamUnit,
  RuleScope,
  RuleState
} from '../models';
import {
  allOf,
  enumOf,
  expectSameFields,
  fieldsOf,
  ISchemaObject,
  sub
} from './fieldLists';

const QUOTE = fieldsOf<IQuote>()(
  ['symbol', 'price', 'preclose', 'time', 'volume', 'name'],
  ['open', 'high', 'low', 'amount']
);

const ALERT_REQUIRED = [
  'id',
  'key',
  'rule',
  'severity',
  'title',
  'message',
  'time'
] as const;
const ALERT_OPTIONAL = ['rule_id', 'symbol', 'value', 'threshold'] as const;
const ALERT = fieldsOf<IAlert>()(ALERT_REQUIRED, ALERT_OPTIONAL);

const RULE_STATUS = fieldsOf<IRuleStatus>()(
  ['rule_id', 'kind', 'state', 'value', 'threshold', 'message', 'symbols'],
  ['checked_at', 'name', 'scope']
);

const LOCALIZED = fieldsOf<ILocalizedText>()(['zh', 'en'], []);

const SEVERITIES = allOf<AlertSeverity>({
  info: true,
  warning: true,
  critical: true
});

const SCOPES = allOf<RuleScope>({
  account: true,
  strategy: true,
  market: true,
  compliance: true
});

const DELIVERY_STATUSES = allOf<DeliveryStatus>({
  pending: true,
  sent: true,
  retrying: true,
  failed: true,
  suppressed: true,
  quiet: true,
  digested: true,
  deduped: true
});

function expectQuoteList(schema: ISchemaObject): void {
  expectSameFields(sub(schema, 'properties', 'quotes', 'items'), QUOTE);
}

function expectAlert(alert: ISchemaObject): void {
  expectSameFields(alert, ALERT);
  expect(enumOf(alert, 'severity')).toEqual(SEVERITIES);
}

function expectRuleStatus(status: ISchemaObject): void {
  expectSameFields(status, RULE_STATUS);
  expect(enumOf(status, 'state')).toEqual(
    allOf<RuleState>({
      ok: true,
      breach: true,
      error: true,
      disabled: true,
      no_data: true
    })
  );
  expect(enumOf(status, 'scope')).toEqual(SCOPES);
}

function expectRule(rule: ISchemaObject): void {
  expectSameFields(
    rule,
    fieldsOf<IRiskRule>()(
      [
        'id',
        'kind',
        'name',
        'scope',
        'params',
        'enabled',
        'strategy',
        'status'
      ],
      []
    )
  );
  expect(enumOf(rule, 'scope')).toEqual(SCOPES);
  expectSameFields(
    sub(rule, 'properties', 'status'),
    fieldsOf<IRuleStatusInfo>()(
      ['state', 'value', 'threshold', 'message', 'symbols', 'checked_at'],
      []
    )
  );
}

/** The `oneOf` branch of ws_message whose `type` is `type`. */
function wsBranch(type: LiveMessageType): ISchemaObject {
  const branches = (wsSchema as { oneOf: ISchemaObject[] }).oneOf;
  const branch = branches.find(
    b => (b.properties?.type as { const?: string }).const === type
  );
  expect(branch).toBeDefined();
  return branch as ISchemaObject;
}

describe('live monitoring models follow server_extension/schema', () => {
  it('watchlist', () => {
    expectSameFields(
      watchlistSchema,
      fieldsOf<IWatchlistResponse>()(['symbols'], [])
    );
  });

  it('ws_message: one branch per server → client message', () => {
    const types = (wsSchema as { oneOf: ISchemaObject[] }).oneOf.map(
      b => (b.properties?.type as { const?: string }).const
    );
    expect([...types].sort()).toEqual(
      allOf<LiveMessageType>({
        quotes: true,
        alert: true,
        risk: true,
        hello: true,
        error: true
      }).sort()
    );
  });

  it('ws_message hello and quotes', () => {
    const hello = wsBranch('hello');
    expectSameFields(
      hello,
      fieldsOf<IHelloMessage>()(['type', 'symbols', 'quotes'], [])
    );
    expectQuoteList(hello);
    const quotes = wsBranch('quotes');
    expectSameFields(
      quotes,
      fieldsOf<IQuotesWireMessage>()(['type', 'sent', 'fields', 'rows'], [])
    );
    // the row order is the schema's `fields` constant, and every quote field is in it
    expect(
      (sub(quotes, 'properties', 'fields') as { const?: unknown }).const
    ).toEqual([...QUOTE_FIELDS]);
    expect([...QUOTE_FIELDS].sort()).toEqual(
      Object.keys(
        (sub(hello, 'properties', 'quotes', 'items') as ISchemaObject)
          .properties ?? {}
      ).sort()
    );
  });

  it('ws_message alert, risk and error', () => {
    const alert = wsBranch('alert');
    expectSameFields(alert, fieldsOf<IAlertMessage>()(['type', 'alert'], []));
    expectAlert(sub(alert, 'properties', 'alert'));
    const risk = wsBranch('risk');
    expectSameFields(
      risk,
      fieldsOf<IRiskMessage>()(['type', 'statuses', 'checked_at'], [])
    );
    expectRuleStatus(sub(risk, 'properties', 'statuses', 'items'));
    expectSameFields(
      wsBranch('error'),
      fieldsOf<IErrorMessage>()(['type', 'message'], [])
    );
  });

  it('scheduler_status', () => {
    expectSameFields(
      schedulerSchema,
      fieldsOf<ISchedulerStatus>()(
        ['running', 'leader', 'feed', 'owner', 'jobs'],
        []
      )
    );
    expectSameFields(
      sub(schedulerSchema, 'properties', 'jobs', 'items'),
      fieldsOf<ISchedulerJob>()(
        [
          'id',
          'label',
          'runs',
          'failures',
          'last_run',
          'last_ok',
          'last_error',
          'last_result',
          'seconds',
          'next_run'
        ],
        []
      )
    );
  });

  it('risk_rule_types', () => {
    expectSameFields(
      ruleTypesSchema,
      fieldsOf<IRuleTypesResponse>()(['types'], [])
    );
    const type = sub(ruleTypesSchema, 'properties', 'types', 'items');
    expectSameFields(
      type,
      fieldsOf<IRuleType>()(
        ['kind', 'scope', 'label', 'description', 'params'],
        ['severity']
      )
    );
    expect(enumOf(type, 'scope')).toEqual(SCOPES);
    expect(enumOf(type, 'severity')).toEqual(SEVERITIES);
    expectSameFields(sub(type, 'properties', 'label'), LOCALIZED);
    expectSameFields(sub(type, 'properties', 'description'), LOCALIZED);
    const param = sub(type, 'properties', 'params', 'items');
    expectSameFields(
      param,
      fieldsOf<IRuleParamDescriptor>()(
        ['name', 'type', 'default', 'label'],
        ['min', 'max', 'unit']
      )
    );
    expectSameFields(sub(param, 'properties', 'label'), LOCALIZED);
    expect(enumOf(param, 'type')).toEqual(
      allOf<RuleParamType>({
        number: true,
        integer: true,
        boolean: true,
        string: true
      })
    );
    expect(enumOf(param, 'unit')).toEqual(
      allOf<RuleParamUnit>({ '%': true, CNY: true, count: true, '': true })
    );
  });

  it('risk_rule and risk_rules', () => {
    expectRule(ruleSchema);
    expectSameFields(
      rulesSchema,
      fieldsOf<IRiskRulesResponse>()(['rules'], [])
    );
    expectRule(sub(rulesSchema, 'properties', 'rules', 'items'));
  });

  it('risk_check', () => {
    expectSameFields(
      checkSchema,
      fieldsOf<IRiskCheckResponse>()(
        ['checked_at', 'statuses', 'alerts'],
        ['breached', 'account']
      )
    );
    expectRuleStatus(sub(checkSchema, 'properties', 'statuses', 'items'));
    expectAlert(sub(checkSchema, 'properties', 'alerts', 'items'));
    const account = sub(checkSchema, 'properties', 'account');
    expectSameFields(
      account,
      fieldsOf<IRiskAccountSummary>()(
        [
          'name',
          'value',
          'cash',
          'market_value',
          'day_start_value',
          'day_start_source',
          'peak_value',
          'peak_at',
          'stale'
        ],
        []
      )
    );
    expect(enumOf(account, 'day_start_source')).toEqual(
      allOf<DayStartSource>({
        preclose: true,
        day_state: true,
        previous_check: true,
        first_check: true
      })
    );
  });

  it('risk_account', () => {
    expectSameFields(
      accountSchema,
      fieldsOf<IRiskAccount>()(
        ['name', 'cash', 'value', 'positions', 'permissions'],
        [
          'market_value',
          'day_start_value',
          'day_start_source',
          'peak_value',
          'peak_at',
          'stale',
          'as_of'
        ]
      )
    );
    expect(enumOf(accountSchema, 'day_start_source')).toEqual(
      enumOf(sub(checkSchema, 'properties', 'account'), 'day_start_source')
    );
    expectSameFields(
      sub(accountSchema, 'properties', 'permissions'),
      fieldsOf<IAccountPermissions>()([], ['chinext', 'star'])
    );
    const position = sub(accountSchema, 'properties', 'positions', 'items');
    expectSameFields(
      position,
      fieldsOf<IAccountPosition>()(
        [
          'symbol',
          'name',
          'quantity',
          'cost',
          'price',
          'value',
          'weight',
          'pnl',
          'strategy'
        ],
        ['pnl_ratio', 'price_source', 'opened', 'board', 'high']
      )
    );
    expect(enumOf(position, 'price_source')).toEqual(
      allOf<PriceSource>({ live: true, preclose: true, last: true, cost: true })
    );
    expect(enumOf(position, 'board')).toEqual(
      allOf<Board>({
        main: true,
        chinext: true,
        star: true,
        bse: true,
        b_share: true,
        index: true,
        etf: true,
        futures: true
      })
    );
  });

  it('alerts', () => {
    expectSameFields(alertsSchema, fieldsOf<IAlertsResponse>()(['alerts'], []));
    const record = sub(alertsSchema, 'properties', 'alerts', 'items');
    expectSameFields(
      record,
      fieldsOf<IAlertRecord>()(
        [...ALERT_REQUIRED, 'deliveries'],
        ALERT_OPTIONAL
      )
    );
    expect(enumOf(record, 'severity')).toEqual(SEVERITIES);
    const delivery = sub(record, 'properties', 'deliveries', 'items');
    expectSameFields(
      delivery,
      fieldsOf<IAlertDelivery>()(
        ['channel', 'status', 'error'],
        ['attempts', 'sent']
      )
    );
    expect(enumOf(delivery, 'status')).toEqual(DELIVERY_STATUSES);
  });

  it('notify_channels', () => {
    expectSameFields(
      channelsSchema,
      fieldsOf<INotifyChannelsResponse>()(['channels'], [])
    );
    const channel = sub(channelsSchema, 'properties', 'channels', 'items');
    expectSameFields(
      channel,
      fieldsOf<INotifyChannel>()(
        [
          'name',
          'label',
          'enabled',
          'configured',
          'rate_limit',
          'sent_today',
          'options',
          'secret_fields',
          'secrets_set',
          'base_url'
        ],
        [
          'missing',
          'held',
          'paused_until',
          'paused_reason',
          'secrets_env',
          'secret_error',
          'base_url_default'
        ]
      )
    );
    expectSameFields(sub(channel, 'properties', 'label'), LOCALIZED);
  });

  it('notify_log', () => {
    expectSameFields(
      logSchema,
      fieldsOf<INotifyLogResponse>()(['deliveries'], [])
    );
    const delivery = sub(logSchema, 'properties', 'deliveries', 'items');
    expectSameFields(
      delivery,
      fieldsOf<INotifyDelivery>()(
        [
          'id',
          'alert_id',
          'channel',
          'status',
          'attempts',
          'error',
          'created',
          'sent',
          'title'
        ],
        [
          'alert_key',
          'kind',
          'error_code',
          'updated',
          'next_attempt',
          'severity',
          'digest_id'
        ]
      )
    );
    expect(enumOf(delivery, 'status')).toEqual(DELIVERY_STATUSES);
    expect(enumOf(delivery, 'kind')).toEqual(
      allOf<DeliveryKind>({ alert: true, digest: true, test: true })
    );
    expect(enumOf(delivery, 'severity')).toEqual([...SEVERITIES, null]);
  });
});
