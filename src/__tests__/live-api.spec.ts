/**
 * RiskClient, NotifyClient and WatchlistClient hit the right paths with the
 * right methods and bodies, and turn error answers into QuantApiError. The
 * network is mocked at the fetch seam of the ServerConnection settings.
 */
import { ServerConnection } from '@jupyterlab/services';

import {
  NotifyClient,
  QuantApiError,
  RiskClient,
  WatchlistClient
} from '../api';

interface ISeen {
  method: string;
  url: string;
  body: string;
  headers: Headers;
}

function setup(status = 200, body: unknown = {}) {
  const seen: ISeen[] = [];
  const fetch = jest.fn(async (request: Request) => {
    seen.push({
      method: request.method,
      url: request.url,
      body: await request.text(),
      headers: request.headers
    });
    if (status === 204) {
      return new Response(null, { status });
    }
    return new Response(JSON.stringify(body), { status });
  });
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/user/me/',
    token: 'secret',
    init: { cache: 'default', credentials: 'same-origin' },
    fetch: fetch as unknown as typeof window.fetch
  });
  return {
    risk: new RiskClient(settings),
    notify: new NotifyClient(settings),
    watchlist: new WatchlistClient(settings),
    seen
  };
}

const BASE = 'http://localhost:8888/user/me/jupyterlab-quant/v1';

describe('RiskClient', () => {
  it('reads rule types, rules, account and alerts with GET', async () => {
    const { risk, seen } = setup(200, { types: [], rules: [], alerts: [] });
    await risk.ruleTypes();
    await risk.rules();
    await risk.account();
    await risk.alerts();
    await risk.alerts(10);
    expect(seen.map(s => [s.method, s.url])).toEqual([
      ['GET', `${BASE}/risk/rule-types`],
      ['GET', `${BASE}/risk/rules`],
      ['GET', `${BASE}/risk/account`],
      ['GET', `${BASE}/alerts?limit=50`],
      ['GET', `${BASE}/alerts?limit=10`]
    ]);
    expect(seen[0].headers.get('Authorization')).toBe('token secret');
  });

  it('adds a rule with POST and a JSON body', async () => {
    const rule = { id: 7, kind: 'drawdown' };
    const { risk, seen } = setup(201, rule);
    const body = {
      kind: 'drawdown',
      params: { max_drawdown: 10 },
      name: '回撤',
      enabled: true
    };
    await expect(risk.addRule(body)).resolves.toEqual(rule);
    expect(seen[0].method).toBe('POST');
    expect(seen[0].url).toBe(`${BASE}/risk/rules`);
    expect(JSON.parse(seen[0].body)).toEqual(body);
    expect(seen[0].headers.get('Content-Type')).toBe('application/json');
  });

  it('updates with PATCH, deletes with DELETE (204) and checks with POST', async () => {
    const { risk, seen } = setup(200, { id: 7 });
    await risk.updateRule(7, { enabled: false });
    expect(seen[0].method).toBe('PATCH');
    expect(seen[0].url).toBe(`${BASE}/risk/rules/7`);
    expect(JSON.parse(seen[0].body)).toEqual({ enabled: false });

    const deleted = setup(204);
    await expect(deleted.risk.removeRule(7)).resolves.toBeUndefined();
    expect(deleted.seen[0].method).toBe('DELETE');
    expect(deleted.seen[0].url).toBe(`${BASE}/risk/rules/7`);

    const checked = setup(200, {
      checked_at: '2026-11-25T10:00:00',
      statuses: [],
      alerts: []
    });
    await checked.risk.check();
    expect(checked.seen[0].method).toBe('POST');
    expect(checked.seen[0].url).toBe(`${BASE}/risk/check`);
  });

  it('keeps the server message of a 400 (it names the field)', async () => {
    const { risk } = setup(400, {
      error: 'invalid_input',
      message: '回撤阈值 max_drawdown 必须在 0 到 100 之间',
      hint: '改成 0–100 之间的数'
    });
    const error = await risk
      .addRule({ kind: 'drawdown', params: { max_drawdown: 300 } })
      .catch(e => e);
    expect(error).toBeInstanceOf(QuantApiError);
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('max_drawdown');
    expect(error.hint).toBe('改成 0–100 之间的数');
  });
});

describe('NotifyClient', () => {
  it('lists channels and the log', async () => {
    const { notify, seen } = setup(200, { channels: [], deliveries: [] });
    await notify.channels();
    await notify.log();
    await notify.log(20, 'failed');
    expect(seen.map(s => [s.method, s.url])).toEqual([
      ['GET', `${BASE}/notify/channels`],
      ['GET', `${BASE}/notify/log?limit=100`],
      ['GET', `${BASE}/notify/log?limit=20&status=failed`]
    ]);
  });

  it('configures with PUT and tests with POST', async () => {
    const { notify, seen } = setup(200, { status: 'sent', error: null });
    await notify.configureChannel('wecom', {
      enabled: true,
      options: { mention_all: false },
      secrets: { webhook_key: 'abc' }
    });
    await expect(notify.testChannel('wecom')).resolves.toEqual({
      status: 'sent',
      error: null
    });
    expect(seen[0].method).toBe('PUT');
    expect(seen[0].url).toBe(`${BASE}/notify/channels/wecom`);
    expect(JSON.parse(seen[0].body)).toEqual({
      enabled: true,
      options: { mention_all: false },
      secrets: { webhook_key: 'abc' }
    });
    expect(seen[1].method).toBe('POST');
    expect(seen[1].url).toBe(`${BASE}/notify/channels/wecom/test`);
  });

  it('encodes channel names', async () => {
    const { notify, seen } = setup(200, {});
    await notify.testChannel('a b/c');
    expect(seen[0].url).toBe(`${BASE}/notify/channels/a%20b%2Fc/test`);
  });
});

describe('WatchlistClient', () => {
  it('gets and puts the symbols', async () => {
    const { watchlist, seen } = setup(200, { symbols: ['600519.SH'] });
    await expect(watchlist.get()).resolves.toEqual({
      symbols: ['600519.SH']
    });
    await watchlist.put(['600519.SH', '000001.SZ']);
    expect(seen.map(s => [s.method, s.url])).toEqual([
      ['GET', `${BASE}/watchlist`],
      ['PUT', `${BASE}/watchlist`]
    ]);
    expect(JSON.parse(seen[1].body)).toEqual({
      symbols: ['600519.SH', '000001.SZ']
    });
  });
});
