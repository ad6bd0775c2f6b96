/**
 * The risk panel rendered with React in jsdom: the rule dialog generated
 * from parameter descriptors (validation, server errors), the rules table
 * with live status, the alert feed, the channel cards (secrets never
 * echoed, never sent empty, "send test"), and the panel's live wiring.
 */
/* eslint-disable jupyter/no-untranslated-string -- test data, not UI text */
import { ServerConnection } from '@jupyterlab/services';
import * as React from 'react';

import { QuantApiError } from '../api';
import { QuantConfig } from '../config';
import { createTrans } from '../i18n';
import { LiveSocket } from '../live/socket';
import type {
  IAlertRecord,
  INotifyChannel,
  IRiskRule,
  IRuleType
} from '../models/live';
import { ChannelCard } from '../panels/risk/channels';
import { RuleDialog } from '../panels/risk/dialog';
import { INotifyApi, IRiskApi } from '../panels/risk/model';
import { RiskPanel } from '../panels/risk/panel';
import { RiskModel } from '../panels/risk/model';
import { RiskView } from '../panels/risk/view';

// ui-components pulls ES modules jest does not transform; RiskPanel only
// needs ReactWidget as its base class (the view is rendered directly here).
jest.mock('@jupyterlab/ui-components', () => {
  const { Widget } = jest.requireActual('@lumino/widgets');
  class ReactWidget extends Widget {}
  return { ReactWidget };
});

interface IRoot {
  render(node: React.ReactNode): void;
  unmount(): void;
}
const { createRoot } = jest.requireActual<{
  createRoot(container: Element): IRoot;
}>('react-dom/client');

(
  globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }
).IS_REACT_ACT_ENVIRONMENT = true;

const zh = createTrans('zh', null);

const TYPES: IRuleType[] = [
  {
    kind: 'drawdown',
    scope: 'account',
    label: { zh: '最大回撤', en: 'Max drawdown' },
    description: { zh: '账户从峰值回撤超过阈值时提醒', en: 'Drawdown' },
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
        name: 'critical',
        type: 'boolean',
        default: false,
        label: { zh: '严重级别', en: 'Critical' }
      }
    ]
  },
  {
    kind: 'stop_loss',
    scope: 'strategy',
    label: { zh: '止损', en: 'Stop loss' },
    description: { zh: '个股亏损超过阈值', en: 'Stop loss' },
    params: [
      {
        name: 'loss_pct',
        type: 'number',
        default: 8,
        min: 1,
        max: 50,
        unit: '%',
        label: { zh: '止损比例', en: 'Loss' }
      },
      {
        name: 'min_lots',
        type: 'integer',
        default: 1,
        min: 1,
        max: 1000,
        unit: 'count',
        label: { zh: '最少手数', en: 'Min lots' }
      }
    ]
  }
];

const RULES: IRiskRule[] = [
  {
    id: 3,
    kind: 'drawdown',
    name: '账户回撤',
    scope: 'account',
    params: { max_drawdown: 10, critical: false },
    enabled: true,
    strategy: null,
    status: {
      state: 'breach',
      value: 12.3,
      threshold: 10,
      message: '回撤 12.3% ≥ 10%',
      symbols: [],
      checked_at: '2026-11-25T10:00:00'
    }
  },
  {
    id: 4,
    kind: 'stop_loss',
    name: '',
    scope: 'strategy',
    params: { loss_pct: 8, min_lots: 1 },
    enabled: false,
    strategy: 'ma',
    status: null
  }
];

const ALERTS: IAlertRecord[] = [
  {
    id: 'a1',
    key: 'drawdown:default',
    rule: 'drawdown',
    severity: 'critical',
    title: '回撤超限 12.3% ≥ 10%',
    message: '账户回撤超过阈值',
    time: '2026-11-25T10:00:00',
    rule_id: 3,
    value: 12.3,
    threshold: 10,
    deliveries: [
      { channel: 'wecom', status: 'sent', error: null },
      { channel: 'serverchan', status: 'failed', error: 'HTTP 500' }
    ]
  }
];

const WECOM: INotifyChannel = {
  name: 'wecom',
  label: { zh: '企业微信机器人', en: 'WeCom robot' },
  enabled: true,
  configured: true,
  rate_limit: '20/min',
  sent_today: 2,
  options: { mention_all: false },
  secret_fields: ['webhook_key'],
  secrets_set: ['webhook_key'],
  base_url: null
};

let host: HTMLDivElement;
let root: IRoot;

beforeEach(() => {
  host = document.createElement('div');
  document.body.appendChild(host);
  root = createRoot(host);
});

afterEach(() => {
  React.act(() => root.unmount());
  host.remove();
});

function render(node: React.ReactElement): void {
  React.act(() => root.render(node));
}

function $(selector: string): HTMLElement {
  const node = host.querySelector<HTMLElement>(selector);
  if (!node) {
    throw new Error(`nothing matches ${selector}`);
  }
  return node;
}

function type(input: HTMLInputElement, value: string): void {
  const setter = Object.getOwnPropertyDescriptor(
    HTMLInputElement.prototype,
    'value'
  )?.set;
  React.act(() => {
    setter?.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

function select(element: HTMLSelectElement, value: string): void {
  const setter = Object.getOwnPropertyDescriptor(
    HTMLSelectElement.prototype,
    'value'
  )?.set;
  React.act(() => {
    setter?.call(element, value);
    element.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

async function submit(): Promise<void> {
  await React.act(async () => {
    $('[data-testid="jlq-risk-dialog-save"]').click();
  });
}

describe('RuleDialog', () => {
  it('builds its fields from the parameter descriptors', () => {
    render(
      <RuleDialog
        trans={zh}
        types={TYPES}
        rule={null}
        onSubmit={async () => undefined}
        onClose={() => undefined}
      />
    );
    const threshold = $(
      '[data-testid="jlq-risk-param-max_drawdown"]'
    ) as HTMLInputElement;
    expect(threshold.type).toBe('number');
    expect(threshold.min).toBe('0.1');
    expect(threshold.max).toBe('100');
    expect(threshold.value).toBe('10');
    const critical = $(
      '[data-testid="jlq-risk-param-critical"]'
    ) as HTMLInputElement;
    expect(critical.type).toBe('checkbox');
    expect(host.textContent).toContain('回撤阈值');
    expect(host.textContent).toContain('账户从峰值回撤超过阈值时提醒');

    // Another kind: other fields, integer step, a strategy tag.
    select(
      $('[data-testid="jlq-risk-kind"]') as HTMLSelectElement,
      'stop_loss'
    );
    expect(
      host.querySelector('[data-testid="jlq-risk-param-max_drawdown"]')
    ).toBeNull();
    const lots = $(
      '[data-testid="jlq-risk-param-min_lots"]'
    ) as HTMLInputElement;
    expect(lots.step).toBe('1');
    expect(
      host.querySelector('[data-testid="jlq-risk-strategy"]')
    ).not.toBeNull();
  });

  it('validates min/max before sending, then submits typed params', async () => {
    const onSubmit = jest.fn(async () => undefined);
    render(
      <RuleDialog
        trans={zh}
        types={TYPES}
        rule={null}
        onSubmit={onSubmit}
        onClose={() => undefined}
      />
    );
    const threshold = $(
      '[data-testid="jlq-risk-param-max_drawdown"]'
    ) as HTMLInputElement;
    type(threshold, '300');
    await submit();
    expect(onSubmit).not.toHaveBeenCalled();
    expect($('[data-testid="jlq-risk-field-error"]').textContent).toBe(
      '回撤阈值 必须在 0.1% 到 100% 之间。'
    );
    type(threshold, '15');
    type($('[data-testid="jlq-risk-name"]') as HTMLInputElement, ' 回撤 ');
    await submit();
    expect(onSubmit).toHaveBeenCalledWith({
      kind: 'drawdown',
      name: '回撤',
      enabled: true,
      strategy: null,
      params: { max_drawdown: 15, critical: false }
    });
  });

  it('shows the server’s message and stays open when the server refuses', async () => {
    const onClose = jest.fn();
    const onSubmit = jest.fn(async () => {
      throw new QuantApiError(
        400,
        'invalid_input',
        '回撤阈值 max_drawdown 超出允许范围 (0.1–50)',
        '改小一些'
      );
    });
    render(
      <RuleDialog
        trans={zh}
        types={TYPES}
        rule={RULES[0]}
        onSubmit={onSubmit}
        onClose={onClose}
      />
    );
    expect(
      ($('[data-testid="jlq-risk-kind"]') as HTMLSelectElement).disabled
    ).toBe(true);
    await submit();
    expect(onSubmit).toHaveBeenCalled();
    const error = $('[data-testid="jlq-risk-dialog-error"]');
    expect(error.textContent).toContain('超出允许范围');
    expect(error.textContent).toContain('处理建议：改小一些');
    expect(
      host.querySelector('[data-testid="jlq-risk-rule-dialog"]')
    ).not.toBeNull();
    expect(onClose).not.toHaveBeenCalled();
  });
});

function apis() {
  const risk: jest.Mocked<IRiskApi> = {
    ruleTypes: jest.fn(async () => ({ types: TYPES })),
    rules: jest.fn(async () => ({ rules: RULES })),
    addRule: jest.fn(async rule => ({
      ...RULES[0],
      id: 11,
      kind: rule.kind,
      params: rule.params,
      name: rule.name ?? ''
    })),
    updateRule: jest.fn(async (id: number, update) => ({
      ...RULES.find(r => r.id === id)!,
      ...update
    })),
    removeRule: jest.fn(async (id: number) => undefined),
    check: jest.fn(async () => ({
      checked_at: '2026-11-25T10:06:00',
      statuses: [],
      alerts: []
    })),
    account: jest.fn(async () => ({
      name: '默认账户',
      cash: 100_000,
      value: 350_000,
      positions: [
        {
          symbol: '600519.SH',
          name: '贵州茅台',
          quantity: 100,
          cost: 1600,
          price: 1500,
          value: 150_000,
          weight: 0.4286,
          pnl: -10_000,
          strategy: null
        }
      ],
      permissions: { chinext: true, star: false }
    })),
    alerts: jest.fn(async () => ({ alerts: ALERTS }))
  };
  const notify: jest.Mocked<INotifyApi> = {
    channels: jest.fn(async () => ({ channels: [WECOM] })),
    configureChannel: jest.fn(async (name: string, update) => ({
      ...WECOM,
      enabled: update.enabled ?? WECOM.enabled
    })),
    testChannel: jest.fn(async (name: string) => ({
      status: 'sent',
      error: null
    })),
    log: jest.fn(async () => ({
      deliveries: [
        {
          id: 1,
          alert_id: 'a1',
          channel: 'wecom',
          status: 'sent',
          attempts: 1,
          error: null,
          created: '2026-11-25T10:00:01',
          sent: '2026-11-25T10:00:02',
          title: '回撤超限'
        }
      ]
    }))
  };
  return { risk, notify };
}

describe('RiskView', () => {
  async function mount(convention = 'red-up') {
    const { risk, notify } = apis();
    const model: RiskModel = new RiskModel({
      risk,
      notify,
      trans: () => zh,
      onChange: () => draw()
    });
    const draw = () =>
      render(
        <RiskView
          model={model}
          state={model.state}
          trans={zh}
          convention={convention}
          connection="connected"
          failures={0}
          onRetryConnection={() => undefined}
        />
      );
    draw();
    await React.act(async () => {
      await model.loadAll();
    });
    return { model, risk, notify };
  }

  it('shows rules with live status, account, alerts, channels and the log', async () => {
    const { model } = await mount();
    const rows = host.querySelectorAll('[data-testid="jlq-risk-rule-row"]');
    expect(rows).toHaveLength(2);
    expect(rows[0].getAttribute('data-state')).toBe('breach');
    expect(rows[0].textContent).toContain('账户回撤');
    expect(rows[0].textContent).toContain('回撤阈值 10%');
    expect(rows[0].textContent).toContain('12.3 / 10');
    expect(rows[0].textContent).toContain('回撤 12.3% ≥ 10%');
    expect(
      rows[0].querySelector('[data-testid="jlq-risk-rule-state"]')?.textContent
    ).toBe('触发');
    expect(rows[1].getAttribute('data-state')).toBe('disabled');
    expect(rows[1].textContent).toContain('止损');

    const items = host.querySelectorAll('[data-testid="jlq-alert-item"]');
    expect(items).toHaveLength(1);
    expect(items[0].getAttribute('data-severity')).toBe('critical');
    const deliveries = items[0].querySelectorAll(
      '[data-testid="jlq-alert-delivery"]'
    );
    expect(deliveries[0].textContent).toBe('企业微信机器人: 已发送');
    expect(deliveries[1].getAttribute('data-status')).toBe('failed');

    expect($('[data-testid="jlq-risk-account"]').textContent).toContain(
      '350,000.00'
    );
    const pnl = $('[data-testid="jlq-risk-position"] [data-field="pnl"]');
    expect(pnl.textContent).toBe('-10,000.00');
    expect(pnl.className).toContain('jp-QuantLive-green'); // loss, red-up
    expect(
      host.querySelector('[data-testid="jlq-channel-wecom"]')
    ).not.toBeNull();
    expect(
      host.querySelectorAll('[data-testid="jlq-notify-log-row"]')
    ).toHaveLength(1);

    // A live status update and a live alert.
    React.act(() =>
      model.applyStatuses(
        [
          {
            rule_id: 3,
            kind: 'drawdown',
            state: 'ok',
            value: 4,
            threshold: 10,
            message: '',
            symbols: []
          }
        ],
        '2026-11-25T10:10:00'
      )
    );
    expect(
      host
        .querySelector('[data-testid="jlq-risk-rule-row"]')
        ?.getAttribute('data-state')
    ).toBe('ok');
    expect($('[data-testid="jlq-risk-checked-at"]').textContent).toBe(
      '上次检查 2026-11-25 10:10:00'
    );
    React.act(() =>
      model.pushAlerts([
        { ...ALERTS[0], id: 'a2', severity: 'warning', title: '新提醒' }
      ])
    );
    const feed = host.querySelectorAll('[data-testid="jlq-alert-item"]');
    expect(feed[0].getAttribute('data-alert-id')).toBe('a2');
    model.dispose();
  });

  it('adds a rule through the dialog and toggles/deletes rules', async () => {
    const { model, risk } = await mount();
    await React.act(async () => {
      $('[data-testid="jlq-risk-add-rule"]').click();
    });
    type(
      $('[data-testid="jlq-risk-param-max_drawdown"]') as HTMLInputElement,
      '8'
    );
    await submit();
    expect(risk.addRule).toHaveBeenCalledWith({
      kind: 'drawdown',
      params: { max_drawdown: 8, critical: false },
      enabled: true
    });
    expect(
      host.querySelector('[data-testid="jlq-risk-rule-dialog"]')
    ).toBeNull();
    expect(
      host.querySelectorAll('[data-testid="jlq-risk-rule-row"]')
    ).toHaveLength(3);

    const toggle = host.querySelector<HTMLInputElement>(
      '[data-rule-id="4"] [data-testid="jlq-risk-rule-enabled"]'
    )!;
    await React.act(async () => {
      toggle.click();
    });
    expect(risk.updateRule).toHaveBeenCalledWith(4, { enabled: true });

    await React.act(async () => {
      host
        .querySelector<HTMLElement>(
          '[data-rule-id="4"] [data-testid="jlq-risk-rule-delete"]'
        )!
        .click();
    });
    expect(risk.removeRule).not.toHaveBeenCalled();
    await React.act(async () => {
      host
        .querySelector<HTMLElement>(
          '[data-rule-id="4"] [data-testid="jlq-risk-rule-confirm-delete"]'
        )!
        .click();
    });
    expect(risk.removeRule).toHaveBeenCalledWith(4);
    expect(host.querySelector('[data-rule-id="4"]')).toBeNull();

    await React.act(async () => {
      $('[data-testid="jlq-risk-check"]').click();
    });
    expect(risk.check).toHaveBeenCalled();
    model.dispose();
  });
});

describe('ChannelCard', () => {
  it('never echoes secrets and never sends empty ones', async () => {
    const onSave = jest.fn(async (name: string) => WECOM);
    const onTest = jest.fn(async (name: string) => ({
      status: 'sent',
      error: null
    }));
    render(
      <ChannelCard trans={zh} channel={WECOM} onSave={onSave} onTest={onTest} />
    );
    const secret = $('[data-testid="jlq-channel-secret"]') as HTMLInputElement;
    expect(secret.type).toBe('password');
    expect(secret.value).toBe('');
    expect($('[data-testid="jlq-channel-secret-state"]').textContent).toBe(
      '已设置'
    );
    expect($('[data-testid="jlq-channel-configured"]').textContent).toBe(
      '已配置'
    );
    // Change only the switch: the stored secret is kept (not sent).
    await React.act(async () => {
      ($('[data-testid="jlq-channel-enabled"]') as HTMLInputElement).click();
    });
    await React.act(async () => {
      $('[data-testid="jlq-channel-save"]').click();
    });
    expect(onSave).toHaveBeenLastCalledWith('wecom', {
      enabled: false,
      options: { mention_all: false }
    });
    // A new secret is sent, and the input is empty again afterwards.
    type(secret, 'new-key');
    await React.act(async () => {
      $('[data-testid="jlq-channel-save"]').click();
    });
    expect(onSave).toHaveBeenLastCalledWith('wecom', {
      enabled: true,
      options: { mention_all: false },
      secrets: { webhook_key: 'new-key' }
    });
    expect(
      ($('[data-testid="jlq-channel-secret"]') as HTMLInputElement).value
    ).toBe('');

    await React.act(async () => {
      $('[data-testid="jlq-channel-test"]').click();
    });
    expect(onTest).toHaveBeenCalledWith('wecom');
    expect($('[data-testid="jlq-channel-result"]').textContent).toBe(
      '测试消息已发送。'
    );
  });

  it('shows why a test failed', async () => {
    const onTest = jest.fn(async (name: string) => {
      throw new QuantApiError(
        502,
        'channel_failed',
        '企业微信返回错误 93000 (invalid webhook)',
        '检查 webhook key'
      );
    });
    render(
      <ChannelCard
        trans={zh}
        channel={WECOM}
        onSave={async () => WECOM}
        onTest={onTest}
      />
    );
    await React.act(async () => {
      $('[data-testid="jlq-channel-test"]').click();
    });
    const result = $('[data-testid="jlq-channel-result"]');
    expect(result.getAttribute('data-tone')).toBe('error');
    expect(result.textContent).toContain('invalid webhook');
    expect(result.textContent).toContain('检查 webhook key');
  });
});

describe('RiskPanel', () => {
  class FakeWebSocket {
    static last: FakeWebSocket;
    constructor(readonly url: string) {
      FakeWebSocket.last = this;
    }
    onopen: (() => void) | null = null;
    onmessage: ((event: { data: string }) => void) | null = null;
    onclose: (() => void) | null = null;
    onerror: (() => void) | null = null;
    send(): void {
      // no subscription from the risk panel
    }
    close(): void {
      // closed by the client
    }
  }

  it('applies live risk statuses and alerts from the socket', async () => {
    const { risk, notify } = apis();
    const socket = new LiveSocket({
      settings: ServerConnection.makeSettings({
        wsUrl: 'ws://localhost:8888/',
        WebSocket: FakeWebSocket as unknown as typeof WebSocket
      })
    });
    socket.start();
    FakeWebSocket.last.onopen?.();
    const panel = new RiskPanel({
      risk,
      notify,
      socket,
      config: new QuantConfig(zh)
    });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(panel.model.state.rules).toHaveLength(2);
    const send = (message: unknown) =>
      FakeWebSocket.last.onmessage?.({ data: JSON.stringify(message) });
    send({
      type: 'risk',
      checked_at: '2026-11-25T11:00:00',
      statuses: [
        {
          rule_id: 3,
          kind: 'drawdown',
          state: 'no_data',
          value: null,
          threshold: 10,
          message: '没有行情',
          symbols: []
        }
      ]
    });
    expect(panel.model.state.rules?.[0].status?.state).toBe('no_data');
    expect(panel.model.state.checkedAt).toBe('2026-11-25T11:00:00');
    send({ type: 'alert', alert: { ...ALERTS[0], id: 'live-1' } });
    expect(panel.model.state.alerts?.[0].id).toBe('live-1');
    panel.dispose();
    // Disposed: no more updates.
    send({ type: 'alert', alert: { ...ALERTS[0], id: 'live-2' } });
    expect(panel.model.state.alerts?.[0].id).toBe('live-1');
    socket.dispose();
  });
});
