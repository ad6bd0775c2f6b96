/**
 * Pure logic of the risk panel: forms from parameter descriptors and their
 * validation, parameter summaries, live statuses, the alert feed, the
 * channel form (never sends empty secrets), the model's actions, and the
 * zh-CN catalogue of every live string.
 */
/* eslint-disable jupyter/no-untranslated-string -- test data, not UI text */
import { QuantApiError } from '../api';
import { createTrans, ZH_CN } from '../i18n';
import type {
  IAlert,
  INotifyChannel,
  IRiskRule,
  IRuleType
} from '../models/live';
import {
  buildChannelUpdate,
  channelDraft,
  draftFor,
  mergeStatuses,
  paramsSummary,
  prependAlerts,
  ruleStateLabel,
  statusNumbers,
  validateDraft
} from '../panels/risk/logic';
import { INotifyApi, IRiskApi, RiskModel } from '../panels/risk/model';

declare const __dirname: string;

const zh = createTrans('zh', null);
const en = createTrans('en', null);

const DRAWDOWN: IRuleType = {
  kind: 'drawdown',
  scope: 'account',
  label: { zh: '最大回撤', en: 'Max drawdown' },
  description: { zh: '账户从峰值回撤超过阈值时提醒', en: 'Drawdown from peak' },
  params: [
    {
      name: 'max_drawdown',
      type: 'number',
      default: 10,
      min: 0.1,
      max: 100,
      unit: '%',
      label: { zh: '回撤阈值', en: 'Threshold' }
    },
    {
      name: 'window',
      type: 'integer',
      default: 20,
      min: 1,
      unit: 'count',
      label: { zh: '窗口', en: 'Window' }
    },
    {
      name: 'critical',
      type: 'boolean',
      default: false,
      label: { zh: '严重级别', en: 'Critical' }
    }
  ]
};

const RULE: IRiskRule = {
  id: 3,
  kind: 'drawdown',
  name: '回撤',
  scope: 'account',
  params: { max_drawdown: 12.5, window: 20, critical: true },
  enabled: true,
  strategy: null,
  status: {
    state: 'ok',
    value: 3.2,
    threshold: 12.5,
    message: '',
    symbols: [],
    checked_at: '2026-11-25T10:00:00'
  }
};

describe('rule form', () => {
  it('starts from the descriptors’ defaults, or the rule’s values', () => {
    expect(draftFor(DRAWDOWN)).toEqual({
      kind: 'drawdown',
      name: '',
      enabled: true,
      strategy: '',
      params: { max_drawdown: '10', window: '20', critical: false }
    });
    expect(draftFor(DRAWDOWN, RULE).params).toEqual({
      max_drawdown: '12.5',
      window: '20',
      critical: true
    });
  });

  it('validates numbers, integers and min/max, and builds typed params', () => {
    const draft = draftFor(DRAWDOWN);
    expect(validateDraft(DRAWDOWN, draft, zh)).toEqual({
      errors: {},
      params: { max_drawdown: 10, window: 20, critical: false }
    });
    const bad = {
      ...draft,
      params: { max_drawdown: '300', window: '2.5', critical: true }
    };
    const result = validateDraft(DRAWDOWN, bad, zh);
    expect(result.params).toBeNull();
    expect(result.errors.max_drawdown).toBe(
      '回撤阈值 必须在 0.1% 到 100% 之间。'
    );
    expect(result.errors.window).toBe('窗口 必须是整数。');
    expect(
      validateDraft(
        DRAWDOWN,
        { ...draft, params: { ...draft.params, window: '0' } },
        en
      ).errors.window
    ).toBe('Window must be at least 1.');
    expect(
      validateDraft(
        DRAWDOWN,
        { ...draft, params: { ...draft.params, max_drawdown: '' } },
        en
      ).errors.max_drawdown
    ).toBe('Threshold is required.');
    expect(
      validateDraft(
        DRAWDOWN,
        { ...draft, params: { ...draft.params, max_drawdown: 'abc' } },
        en
      ).errors.max_drawdown
    ).toBe('Threshold must be a number.');
    expect(validateDraft(undefined, draft, en).errors.kind).toBe(
      'Pick a rule type.'
    );
  });

  it('summarises parameters with units', () => {
    expect(paramsSummary(RULE, DRAWDOWN, zh)).toBe(
      '回撤阈值 12.5% · 窗口 20 · 严重级别 是'
    );
    expect(paramsSummary(RULE, undefined, en)).toBe(
      'max_drawdown 12.5 · window 20 · critical yes'
    );
  });
});

describe('statuses and alerts', () => {
  it('applies the statuses of a check by rule id', () => {
    const other = { ...RULE, id: 4, status: null };
    const merged = mergeStatuses(
      [RULE, other],
      [
        {
          rule_id: 3,
          kind: 'drawdown',
          state: 'breach',
          value: 13,
          threshold: 12.5,
          message: '回撤超限',
          symbols: []
        }
      ],
      '2026-11-25T10:05:00'
    );
    expect(merged[0].status?.state).toBe('breach');
    expect(merged[0].status?.checked_at).toBe('2026-11-25T10:05:00');
    expect(merged[1]).toBe(other);
    expect(statusNumbers(merged[0].status)).toBe('13 / 12.5');
    expect(statusNumbers({ value: null, threshold: null })).toBe('');
    expect(ruleStateLabel('breach', zh)).toBe('触发');
    expect(ruleStateLabel('no_data', en)).toBe('No data');
  });

  it('prepends new alerts newest first, without duplicates', () => {
    const alert = (id: string, time: string): IAlert => ({
      id,
      key: id,
      rule: 'drawdown',
      severity: 'warning',
      title: id,
      message: '',
      time
    });
    const feed = prependAlerts(null, [alert('a', '2026-11-25T10:00:00')]);
    const next = prependAlerts(feed, [
      alert('b', '2026-11-25T10:01:00'),
      alert('c', '2026-11-25T10:02:00'),
      alert('a', '2026-11-25T10:00:00')
    ]);
    expect(next.map(a => a.id)).toEqual(['c', 'b', 'a']);
    expect(prependAlerts(next, [alert('d', 'x')], 2).map(a => a.id)).toEqual([
      'd',
      'c'
    ]);
  });
});

const WECOM: INotifyChannel = {
  name: 'wecom',
  label: { zh: '企业微信机器人', en: 'WeCom robot' },
  enabled: false,
  configured: true,
  rate_limit: '20/min',
  sent_today: 3,
  options: { mention_all: false, retries: 3, title_prefix: '[量化]' },
  secret_fields: ['webhook_key', 'secret'],
  secrets_set: ['webhook_key'],
  base_url: 'https://qyapi.weixin.qq.com'
};

describe('channel form', () => {
  it('never fills secrets from the server', () => {
    const draft = channelDraft(WECOM);
    expect(draft.secrets).toEqual({ webhook_key: '', secret: '' });
    expect(draft.options).toEqual({
      mention_all: false,
      retries: '3',
      title_prefix: '[量化]'
    });
  });

  it('never sends empty secrets, and keeps numbers numbers', () => {
    const draft = channelDraft(WECOM);
    expect(buildChannelUpdate(WECOM, draft)).toEqual({
      enabled: false,
      options: { mention_all: false, retries: 3, title_prefix: '[量化]' }
    });
    const edited = {
      enabled: true,
      options: { ...draft.options, retries: '5' },
      secrets: { webhook_key: '  ', secret: ' s3cret ' }
    };
    expect(buildChannelUpdate(WECOM, edited)).toEqual({
      enabled: true,
      options: { mention_all: false, retries: 5, title_prefix: '[量化]' },
      secrets: { secret: 's3cret' }
    });
  });
});

describe('channel options of every type', () => {
  it('keeps lists lists and unset options null', () => {
    const channel: INotifyChannel = {
      ...WECOM,
      options: {
        msgtype: 'markdown',
        mentioned_list: [],
        topic: null,
        per_minute: 20
      }
    };
    const draft = channelDraft(channel);
    expect(draft.options).toEqual({
      msgtype: 'markdown',
      mentioned_list: '',
      topic: '',
      per_minute: '20'
    });
    expect(buildChannelUpdate(channel, draft).options).toEqual({
      msgtype: 'markdown',
      mentioned_list: [],
      topic: null,
      per_minute: 20
    });
    const edited = {
      ...draft,
      options: {
        ...draft.options,
        mentioned_list: 'alice, bob，carol',
        topic: ' risk ',
        per_minute: ''
      }
    };
    expect(buildChannelUpdate(channel, edited).options).toEqual({
      msgtype: 'markdown',
      mentioned_list: ['alice', 'bob', 'carol'],
      topic: 'risk',
      per_minute: null
    });
  });
});

describe('RiskModel', () => {
  function apis() {
    const risk: jest.Mocked<IRiskApi> = {
      ruleTypes: jest.fn(async () => ({ types: [DRAWDOWN] })),
      rules: jest.fn(async () => ({ rules: [RULE] })),
      addRule: jest.fn(async rule => ({
        ...RULE,
        id: 9,
        kind: rule.kind,
        params: rule.params
      })),
      updateRule: jest.fn(async (id, update) => ({ ...RULE, id, ...update })),
      removeRule: jest.fn(async (id: number) => undefined),
      check: jest.fn(async () => ({
        checked_at: '2026-11-25T10:06:00',
        statuses: [
          {
            rule_id: 3,
            kind: 'drawdown',
            state: 'breach',
            value: 13,
            threshold: 12.5,
            message: 'x',
            symbols: []
          }
        ],
        alerts: [
          {
            id: 'n1',
            key: 'k',
            rule: 'drawdown',
            severity: 'critical',
            title: '回撤超限',
            message: '',
            time: '2026-11-25T10:06:00'
          }
        ]
      })),
      account: jest.fn(async () => ({
        name: 'default',
        cash: 1000,
        value: 2000,
        positions: [],
        permissions: {}
      })),
      alerts: jest.fn(async () => ({ alerts: [] }))
    };
    const notify: jest.Mocked<INotifyApi> = {
      channels: jest.fn(async () => ({ channels: [WECOM] })),
      configureChannel: jest.fn(async (name, update) => ({
        ...WECOM,
        enabled: update.enabled ?? WECOM.enabled
      })),
      testChannel: jest.fn(async (name: string) => ({
        status: 'sent',
        error: null
      })),
      log: jest.fn(async () => ({ deliveries: [] }))
    };
    return { risk, notify };
  }

  it('loads every section, each on its own', async () => {
    const { risk, notify } = apis();
    risk.account.mockRejectedValueOnce(
      new QuantApiError(404, 'not_found', '没有账户 (no account)', '先录入账户')
    );
    const model = new RiskModel({
      risk,
      notify,
      trans: () => zh,
      onChange: () => {}
    });
    await model.loadAll();
    const state = model.state;
    expect(state.types).toEqual([DRAWDOWN]);
    expect(state.rules).toEqual([RULE]);
    // The last check is the newest status of the stored rules.
    expect(state.checkedAt).toBe('2026-11-25T10:00:00');
    expect(state.channels).toEqual([WECOM]);
    expect(state.account).toBeNull();
    expect(state.errors.account?.message).toBe('没有账户 (no account)');
    await model.loadAccount();
    expect(model.state.errors.account).toBeUndefined();
  });

  it('toggles optimistically and rolls back on failure', async () => {
    const { risk, notify } = apis();
    const model = new RiskModel({
      risk,
      notify,
      trans: () => zh,
      onChange: () => {}
    });
    await model.loadRules();
    risk.updateRule.mockRejectedValueOnce(
      new QuantApiError(500, 'internal', '写入失败', null)
    );
    const pending = model.setEnabled(RULE, false);
    expect(model.state.rules?.[0].enabled).toBe(false);
    expect(model.state.busyRules.has(3)).toBe(true);
    await pending;
    expect(model.state.rules?.[0].enabled).toBe(true);
    expect(model.state.ruleError?.message).toBe('写入失败');
    expect(model.state.busyRules.has(3)).toBe(false);

    await model.setEnabled(RULE, false);
    expect(risk.updateRule).toHaveBeenLastCalledWith(3, { enabled: false });
    expect(model.state.rules?.[0].enabled).toBe(false);
    expect(model.state.ruleError).toBeNull();
  });

  it('checks now: statuses, new alerts, account refresh', async () => {
    jest.useFakeTimers();
    const { risk, notify } = apis();
    const model = new RiskModel({
      risk,
      notify,
      trans: () => zh,
      onChange: () => {}
    });
    await model.loadRules();
    await model.check();
    expect(risk.check).toHaveBeenCalled();
    expect(model.state.rules?.[0].status?.state).toBe('breach');
    expect(model.state.checkedAt).toBe('2026-11-25T10:06:00');
    expect(model.state.alerts?.map(a => a.id)).toEqual(['n1']);
    expect(risk.account).toHaveBeenCalled();
    // Deliveries are fetched again a moment later.
    jest.advanceTimersByTime(3000);
    expect(risk.alerts).toHaveBeenCalled();
    expect(notify.log).toHaveBeenCalled();
    model.dispose();
    jest.useRealTimers();
  });

  it('adds, updates and removes rules', async () => {
    const { risk, notify } = apis();
    const model = new RiskModel({
      risk,
      notify,
      trans: () => zh,
      onChange: () => {}
    });
    await model.loadRules();
    await model.addRule({ kind: 'drawdown', params: { max_drawdown: 5 } });
    expect(model.state.rules?.map(r => r.id)).toEqual([3, 9]);
    await model.updateRule(9, { name: '新名' });
    expect(model.state.rules?.[1].name).toBe('新名');
    await model.removeRule(model.state.rules![1]);
    expect(model.state.rules?.map(r => r.id)).toEqual([3]);
    risk.addRule.mockRejectedValueOnce(new Error('refused'));
    await expect(
      model.addRule({ kind: 'drawdown', params: {} })
    ).rejects.toThrow('refused');
  });
});

describe('translations', () => {
  it('has a zh-CN entry for every string of the live panels', () => {
    const fs = jest.requireActual<{
      readdirSync(dir: string): string[];
      readFileSync(file: string, encoding: 'utf-8'): string;
    }>('fs');
    const here = __dirname;
    const dirs = [
      `${here}/../panels/risk`,
      `${here}/../panels/watchlist`,
      `${here}/../live`
    ];
    const files = dirs
      .flatMap(dir => fs.readdirSync(dir).map(f => `${dir}/${f}`))
      .concat(`${here}/../index.ts`);
    const missing: string[] = [];
    let count = 0;
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf-8');
      for (const match of text.matchAll(/\.__\(\s*'((?:[^'\\]|\\.)*)'/g)) {
        count++;
        if (ZH_CN[match[1]] === undefined) {
          missing.push(match[1]);
        }
      }
    }
    expect(count).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });
});
