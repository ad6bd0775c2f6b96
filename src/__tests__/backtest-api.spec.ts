/**
 * BacktestClient builds the right URLs, methods and bodies, and turns error
 * answers into QuantApiError. The network is mocked at the fetch seam: the
 * `fetch` of the ServerConnection settings, which receives the Request.
 */
import { ServerConnection } from '@jupyterlab/services';

import { BacktestClient, QuantApiError } from '../api';
import type { IBacktestRequest } from '../models';

interface ISeen {
  method: string;
  url: string;
  body: string;
  headers: Headers;
}

function setup(status = 200, body: unknown = {}, contentType = 'json') {
  const seen: ISeen[] = [];
  const fetch = jest.fn(async (request: Request) => {
    seen.push({
      method: request.method,
      url: request.url,
      body: await request.text(),
      headers: request.headers
    });
    const text = contentType === 'json' ? JSON.stringify(body) : String(body);
    return new Response(text, { status });
  });
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/user/me/',
    token: 'secret',
    // No cache-busting suffix on the URLs (the default is `no-store`).
    init: { cache: 'default', credentials: 'same-origin' },
    fetch: fetch as unknown as typeof window.fetch
  });
  return { client: new BacktestClient(settings), seen, fetch };
}

const BASE = 'http://localhost:8888/user/me/jupyterlab-quant/v1';

describe('BacktestClient', () => {
  it('lists jobs with limit and archived flags', async () => {
    const { client, seen } = setup(200, { jobs: [], total: 0 });
    await expect(client.list()).resolves.toEqual({ jobs: [], total: 0 });
    await client.list({ limit: 20, archived: true });
    await client.list({ archived: 'all' });
    expect(seen.map(s => [s.method, s.url])).toEqual([
      ['GET', `${BASE}/backtests?limit=100&archived=0`],
      ['GET', `${BASE}/backtests?limit=20&archived=1`],
      ['GET', `${BASE}/backtests?limit=100&archived=all`]
    ]);
    // Authenticated like every other call of the seam.
    expect(seen[0].headers.get('Authorization')).toBe('token secret');
  });

  it('POSTs the request as JSON', async () => {
    const { client, seen } = setup(202, { id: 'a1b2c3d4e5f6' });
    const request: IBacktestRequest = {
      strategy_file: 'sma_cross.py',
      strategy_class: 'SmaCross',
      symbols: ['600519.SH'],
      start: '2020-01-02',
      end: '2020-12-31',
      cash: 1_000_000,
      profile: 'default',
      benchmark: '000300.SH',
      params: { fast: 5, slow: 20 }
    };
    await expect(client.submit(request)).resolves.toEqual({
      id: 'a1b2c3d4e5f6'
    });
    expect(seen[0].method).toBe('POST');
    expect(seen[0].url).toBe(`${BASE}/backtests`);
    expect(JSON.parse(seen[0].body)).toEqual(request);
    expect(seen[0].headers.get('Content-Type')).toBe('application/json');
  });

  it('gets, cancels and fetches results of a job', async () => {
    const { client, seen } = setup(200, { id: 'a1b2c3d4e5f6' });
    await client.get('a1b2c3d4e5f6');
    await client.cancel('a1b2c3d4e5f6');
    await client.result('a1b2c3d4e5f6');
    expect(seen.map(s => [s.method, s.url])).toEqual([
      ['GET', `${BASE}/backtests/a1b2c3d4e5f6`],
      ['DELETE', `${BASE}/backtests/a1b2c3d4e5f6`],
      ['GET', `${BASE}/backtests/a1b2c3d4e5f6/result`]
    ]);
  });

  it('fetches the HTML report as text', async () => {
    const html = '<!doctype html><title>回测报告</title>';
    const { client, seen } = setup(200, html, 'html');
    await expect(client.report('a1b2c3d4e5f6')).resolves.toBe(html);
    await client.report('a1b2c3d4e5f6', 'en');
    expect(seen[0].url).toBe(`${BASE}/backtests/a1b2c3d4e5f6/report?lang=zh`);
    expect(seen[1].url).toBe(`${BASE}/backtests/a1b2c3d4e5f6/report?lang=en`);
    expect(seen[0].headers.get('Authorization')).toBe('token secret');
  });

  it('lists strategies and broker profiles', async () => {
    const { client, seen } = setup(200, { strategies: [], profiles: [] });
    await client.strategies();
    await client.profiles();
    expect(seen.map(s => s.url)).toEqual([
      `${BASE}/backtest/strategies`,
      `${BASE}/backtest/profiles`
    ]);
  });

  it("turns a 400 into a QuantApiError with the server's message and hint", async () => {
    const { client } = setup(400, {
      error: 'invalid_input',
      message: '没有指定代码 (no symbols)',
      hint: '例如 600519.SH'
    });
    const error = await client
      .submit({ symbols: [], start: '2020-01-02', end: '2020-12-31' })
      .catch(e => e);
    expect(error).toBeInstanceOf(QuantApiError);
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe('没有指定代码 (no symbols)');
    expect(error.hint).toBe('例如 600519.SH');
  });

  it('reports a missing report as not found', async () => {
    const { client } = setup(404, {
      error: 'not_found',
      message: '没有这个回测 (no such backtest)'
    });
    const error = await client.report('ffffffffffff').catch(e => e);
    expect(error).toBeInstanceOf(QuantApiError);
    expect(error.isNotFound).toBe(true);
  });

  it('escapes job ids in paths', async () => {
    const { client, seen } = setup(200, {});
    await client.get('../status');
    expect(seen[0].url).toBe(`${BASE}/backtests/..%2Fstatus`);
  });
});
