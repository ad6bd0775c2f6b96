/**
 * The shared live WebSocket: URL and token, subscriptions (union of owners,
 * sent on open and again after every reconnect), reconnect with backoff,
 * message dispatch, and alerts turned into JupyterLab notifications.
 */
/* eslint-disable jupyter/no-untranslated-string -- test data, not UI text */
import { ServerConnection } from '@jupyterlab/services';

import { createTrans } from '../i18n';
import {
  alertNotifier,
  alertToastText,
  backoffDelay,
  connectionLabel,
  INotificationApi,
  LiveSocket,
  liveSocketUrl
} from '../live';
import type { IAlert } from '../models/live';
import { QUOTE_FIELDS } from '../models/live';

/** A WebSocket double: records sends, the test drives open/message/close. */
class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 3;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  readyState = 0;
  sent: unknown[] = [];
  closed = false;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.closed = true;
    this.readyState = 3;
  }

  // ---- driven by the test
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }

  receive(message: unknown): void {
    const data =
      typeof message === 'string' ? message : JSON.stringify(message);
    this.onmessage?.(new MessageEvent('message', { data }));
  }

  drop(): void {
    this.readyState = 3;
    this.onerror?.(new Event('error'));
    this.onclose?.(new CloseEvent('close', { code: 1006 }));
  }

  static get last(): FakeWebSocket {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }
}

function settings(
  overrides: Partial<ServerConnection.ISettings> = {}
): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/user/me/',
    wsUrl: 'ws://localhost:8888/user/me/',
    token: 'secret',
    appendToken: true,
    WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    ...overrides
  });
}

function makeSocket(): LiveSocket {
  return new LiveSocket({
    settings: settings(),
    initialDelayMs: 500,
    maxDelayMs: 8000,
    random: () => 0.5 // jitter factor exactly 1
  });
}

const ALERT: IAlert = {
  id: 'a1',
  key: 'drawdown:default',
  rule: 'drawdown',
  severity: 'warning',
  title: '回撤超限 12.3% ≥ 10%',
  message: '账户回撤 12.3%，阈值 10%',
  time: '2026-11-25T10:31:00',
  rule_id: 3,
  symbol: null,
  value: 12.3,
  threshold: 10
};

beforeEach(() => {
  FakeWebSocket.instances = [];
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('liveSocketUrl', () => {
  it('joins the ws URL and appends the token when the settings ask for it', () => {
    expect(liveSocketUrl(settings())).toBe(
      'ws://localhost:8888/user/me/jupyterlab-quant/v1/ws?token=secret'
    );
    expect(liveSocketUrl(settings({ token: 'a b&c' }))).toBe(
      'ws://localhost:8888/user/me/jupyterlab-quant/v1/ws?token=a%20b%26c'
    );
  });

  it('relies on the cookie like JupyterLab when the token is not appended', () => {
    expect(liveSocketUrl(settings({ appendToken: false }))).toBe(
      'ws://localhost:8888/user/me/jupyterlab-quant/v1/ws'
    );
    expect(liveSocketUrl(settings({ token: '' }))).toBe(
      'ws://localhost:8888/user/me/jupyterlab-quant/v1/ws'
    );
  });
});

describe('backoffDelay', () => {
  it('doubles up to the maximum, with a bounded jitter', () => {
    const mid = () => 0.5;
    expect(
      [1, 2, 3, 4, 5, 6, 10].map(n => backoffDelay(n, 500, 8000, mid))
    ).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
    expect(backoffDelay(1, 500, 8000, () => 0)).toBe(400);
    expect(backoffDelay(1, 500, 8000, () => 0.999)).toBeLessThanOrEqual(600);
    expect(backoffDelay(10, 500, 8000, () => 0.999)).toBe(8000);
  });
});

describe('LiveSocket', () => {
  it('connects on start and reports its state', () => {
    const socket = makeSocket();
    const states: string[] = [];
    socket.stateChanged.connect((_, state) => states.push(state));
    expect(socket.state).toBe('idle');
    socket.start();
    socket.start(); // no second connection
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(FakeWebSocket.last.url).toBe(
      'ws://localhost:8888/user/me/jupyterlab-quant/v1/ws?token=secret'
    );
    expect(socket.state).toBe('connecting');
    FakeWebSocket.last.open();
    expect(socket.state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected']);
    socket.dispose();
    expect(socket.state).toBe('disposed');
  });

  it('sends the union of the owners’ subscriptions, once per change', () => {
    const socket = makeSocket();
    socket.subscribe(['600519.SH', '000001.SZ'], 'watchlist');
    socket.start();
    const ws = FakeWebSocket.last;
    expect(ws.sent).toEqual([]); // not open yet
    ws.open();
    expect(ws.sent).toEqual([
      { type: 'subscribe', symbols: ['000001.SZ', '600519.SH'] }
    ]);
    socket.subscribe(['600519.SH'], 'other');
    expect(ws.sent).toHaveLength(1); // union unchanged
    socket.subscribe(['300750.SZ'], 'other');
    expect(ws.sent[1]).toEqual({
      type: 'subscribe',
      symbols: ['000001.SZ', '300750.SZ', '600519.SH']
    });
    socket.unsubscribe('watchlist');
    expect(ws.sent[2]).toEqual({ type: 'subscribe', symbols: ['300750.SZ'] });
    socket.unsubscribe('other');
    expect(ws.sent[3]).toEqual({ type: 'subscribe', symbols: [] });
    expect(socket.symbols).toEqual([]);
    socket.dispose();
  });

  it('reconnects with backoff and subscribes again', () => {
    const socket = makeSocket();
    socket.subscribe(['600519.SH'], 'watchlist');
    socket.start();
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sent).toHaveLength(1);

    FakeWebSocket.last.drop();
    expect(socket.state).toBe('reconnecting');
    expect(socket.failures).toBe(1);
    jest.advanceTimersByTime(499);
    expect(FakeWebSocket.instances).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(2);

    // The second attempt fails too: the wait doubles.
    FakeWebSocket.last.drop();
    expect(socket.failures).toBe(2);
    jest.advanceTimersByTime(999);
    expect(FakeWebSocket.instances).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(3);

    const ws = FakeWebSocket.last;
    ws.open();
    expect(socket.state).toBe('connected');
    expect(socket.failures).toBe(0);
    expect(ws.sent).toEqual([{ type: 'subscribe', symbols: ['600519.SH'] }]);

    // Back to the first delay after a successful open.
    ws.drop();
    jest.advanceTimersByTime(500);
    expect(FakeWebSocket.instances).toHaveLength(4);
    socket.dispose();
  });

  it('does not reconnect once stopped, and reconnectNow skips the wait', () => {
    const socket = makeSocket();
    socket.start();
    FakeWebSocket.last.drop();
    expect(socket.state).toBe('reconnecting');
    socket.reconnectNow();
    expect(FakeWebSocket.instances).toHaveLength(2);
    socket.stop();
    expect(socket.state).toBe('idle');
    expect(FakeWebSocket.last.closed).toBe(true);
    jest.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(2);
    socket.dispose();
  });

  it('dispatches messages by type with the receipt time, and caches quotes', () => {
    const socket = makeSocket();
    const quotes = jest.fn();
    const hello = jest.fn();
    const risk = jest.fn();
    const off = socket.on('quotes', quotes);
    socket.on('hello', hello);
    socket.on('risk', risk);
    socket.subscribe(['600519.SH']);
    socket.start();
    const ws = FakeWebSocket.last;
    ws.open();
    const quote = {
      symbol: '600519.SH',
      price: 1500,
      preclose: 1480,
      time: '2026-11-25T10:00:03',
      volume: 100,
      name: '贵州茅台'
    };
    ws.receive({ type: 'hello', symbols: ['600519.SH'], quotes: [quote] });
    expect(hello).toHaveBeenCalledTimes(1);
    expect(socket.latest.get('600519.SH')?.price).toBe(1500);

    // on the wire: field names once, one row per quote (Quote.FIELDS order)
    ws.receive({
      type: 'quotes',
      sent: 1764037203000.5,
      fields: [...QUOTE_FIELDS],
      rows: [
        [
          '600519.SH',
          1501,
          1480,
          '2026-11-25T10:00:06',
          1490,
          1502,
          1489,
          200,
          3e5,
          '贵州茅台'
        ]
      ]
    });
    expect(quotes).toHaveBeenCalledTimes(1);
    const [message, receivedAt] = quotes.mock.calls[0];
    expect(message.sent).toBe(1764037203000.5);
    expect(typeof receivedAt).toBe('number');
    expect(socket.latest.get('600519.SH')?.price).toBe(1501);
    expect(message.quotes[0]).toEqual({
      symbol: '600519.SH',
      price: 1501,
      preclose: 1480,
      time: '2026-11-25T10:00:06',
      open: 1490,
      high: 1502,
      low: 1489,
      volume: 200,
      amount: 3e5,
      name: '贵州茅台'
    });

    ws.receive({ type: 'risk', statuses: [] });
    expect(risk).toHaveBeenCalledTimes(1);

    off();
    ws.receive({
      type: 'quotes',
      sent: 1,
      fields: [...QUOTE_FIELDS],
      rows: []
    });
    expect(quotes).toHaveBeenCalledTimes(1);
    socket.dispose();
  });

  it('ignores bad frames and survives a throwing listener', () => {
    const socket = makeSocket();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    const good = jest.fn();
    socket.on('alert', () => {
      throw new Error('boom');
    });
    socket.on('alert', good);
    socket.start();
    const ws = FakeWebSocket.last;
    ws.open();
    ws.receive('not json');
    ws.receive({ type: 'unknown' });
    ws.receive({ type: 'error', message: 'bad subscribe' });
    ws.receive({ type: 'alert', alert: ALERT });
    expect(good).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalled();
    expect(error).toHaveBeenCalled();
    warn.mockRestore();
    error.mockRestore();
    socket.dispose();
  });
});

describe('alert notifications', () => {
  function fakeNotify(): INotificationApi & {
    calls: [string, string, unknown][];
  } {
    const calls: [string, string, unknown][] = [];
    return {
      calls,
      info: (m, o) => (calls.push(['info', m, o]), 'id-info'),
      warning: (m, o) => (calls.push(['warning', m, o]), 'id-warning'),
      error: (m, o) => (calls.push(['error', m, o]), 'id-error')
    };
  }

  it('shows each new alert with an "Open Risk" action', () => {
    const notify = fakeNotify();
    const openRisk = jest.fn();
    const listener = alertNotifier({
      notify,
      trans: () => createTrans('zh', null),
      openRisk
    });
    expect(listener({ type: 'alert', alert: ALERT })).toBe('id-warning');
    expect(notify.calls[0][0]).toBe('warning');
    expect(notify.calls[0][1]).toBe('回撤超限 12.3% ≥ 10%');
    const options = notify.calls[0][2] as {
      autoClose: number | false;
      actions: { label: string; callback: () => void }[];
    };
    expect(options.actions[0].label).toBe('打开风控');
    options.actions[0].callback();
    expect(openRisk).toHaveBeenCalledTimes(1);
    expect(options.autoClose).toBeGreaterThan(0);

    // The same alert again (e.g. after a reconnect): not shown twice.
    expect(listener({ type: 'alert', alert: ALERT })).toBeNull();
    expect(notify.calls).toHaveLength(1);
  });

  it('maps critical to a sticky error and info to info', () => {
    const notify = fakeNotify();
    const listener = alertNotifier({
      notify,
      trans: () => createTrans('en', null),
      openRisk: () => undefined
    });
    listener({
      type: 'alert',
      alert: { ...ALERT, id: 'c', severity: 'critical', symbol: '600519.SH' }
    });
    listener({ type: 'alert', alert: { ...ALERT, id: 'i', severity: 'info' } });
    expect(notify.calls.map(c => c[0])).toEqual(['error', 'info']);
    expect(notify.calls[0][1]).toBe('回撤超限 12.3% ≥ 10% · 600519.SH');
    expect((notify.calls[0][2] as { autoClose: unknown }).autoClose).toBe(
      false
    );
    expect(
      (notify.calls[1][2] as { actions: { label: string }[] }).actions[0].label
    ).toBe('Open Risk');
  });

  it('stays quiet when the setting is off', () => {
    const notify = fakeNotify();
    const listener = alertNotifier({
      notify,
      trans: () => createTrans('zh', null),
      openRisk: () => undefined,
      enabled: () => false
    });
    expect(listener({ type: 'alert', alert: ALERT })).toBeNull();
    expect(notify.calls).toHaveLength(0);
  });

  it('notifies alerts arriving on the socket', () => {
    const notify = fakeNotify();
    const socket = makeSocket();
    socket.on(
      'alert',
      alertNotifier({
        notify,
        trans: () => createTrans('zh', null),
        openRisk: () => undefined
      })
    );
    socket.start();
    FakeWebSocket.last.open();
    FakeWebSocket.last.receive({ type: 'alert', alert: ALERT });
    expect(notify.calls).toHaveLength(1);
    socket.dispose();
  });

  it('adds the symbol to the text only when the title lacks it', () => {
    expect(alertToastText({ ...ALERT, symbol: '600519.SH' })).toContain(
      '600519.SH'
    );
    expect(
      alertToastText({ ...ALERT, title: '止损 600519.SH', symbol: '600519.SH' })
    ).toBe('止损 600519.SH');
  });
});

describe('connectionLabel', () => {
  it('labels every state in Chinese and English', () => {
    const zh = createTrans('zh', null);
    const en = createTrans('en', null);
    expect(connectionLabel('connected', zh)).toBe('实时');
    expect(connectionLabel('reconnecting', zh, 3)).toBe('重连中…（第 3 次）');
    expect(connectionLabel('idle', en)).toBe('Offline');
    expect(connectionLabel('connecting', en)).toBe('Connecting…');
  });
});
