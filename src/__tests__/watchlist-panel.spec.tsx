/**
 * The watchlist panel: the symbols persisted through GET/PUT /watchlist
 * (optimistic, rolled back on failure), the subscription on the shared
 * socket, quotes from the socket into the table, and the toolbar (add a
 * symbol, connection indicator).
 */
import { ServerConnection } from '@jupyterlab/services';
import * as React from 'react';

import { QuantApiError } from '../api';
import { QuantConfig, DEFAULT_SETTINGS } from '../config';
import { createTrans } from '../i18n';
import { LiveSocket } from '../live/socket';
import type { ISymbolInfo, IWatchlistResponse } from '../models';
import { IWatchlistApi, WatchlistModel } from '../panels/watchlist/model';
import { WatchlistPanel } from '../panels/watchlist/panel';
import { ConnectionIndicator, SymbolAdder } from '../panels/watchlist/toolbar';

// ui-components pulls ES modules jest does not transform; the panel only
// needs ReactWidget (the toolbar host), which is not what is tested here.
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

class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }
  sent: { type: string; symbols: string[] }[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    // closed by the client
  }
  open(): void {
    this.onopen?.();
  }
  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

function makeSocket(): LiveSocket {
  return new LiveSocket({
    settings: ServerConnection.makeSettings({
      wsUrl: 'ws://localhost:8888/',
      token: '',
      WebSocket: FakeWebSocket as unknown as typeof WebSocket
    })
  });
}

function fakeApi(initial: string[]): IWatchlistApi & {
  puts: string[][];
  fail: boolean;
} {
  const api = {
    puts: [] as string[][],
    fail: false,
    get: jest.fn(async (): Promise<IWatchlistResponse> => ({
      symbols: [...initial]
    })),
    put: jest.fn(async (symbols: string[]): Promise<IWatchlistResponse> => {
      api.puts.push(symbols);
      if (api.fail) {
        throw new QuantApiError(
          400,
          'invalid_input',
          '代码格式不对 (bad symbol)',
          null
        );
      }
      return { symbols: symbols.map(s => s.toUpperCase()) };
    })
  };
  return api;
}

const flush = () => new Promise(resolve => setTimeout(resolve, 0));

beforeEach(() => {
  FakeWebSocket.instances = [];
});

describe('WatchlistModel', () => {
  it('loads, adds and removes with PUTs of the whole list', async () => {
    const api = fakeApi(['600519.SH']);
    const onChange = jest.fn();
    const model = new WatchlistModel({ client: api, onChange });
    expect(model.loading).toBe(true);
    await model.load();
    expect(model.loading).toBe(false);
    expect(model.symbols).toEqual(['600519.SH']);

    const adding = model.add('000001.sz');
    // Shown at once.
    expect(model.symbols).toEqual(['600519.SH', '000001.sz']);
    await expect(adding).resolves.toBe(true);
    // The server's normalised answer wins.
    expect(model.symbols).toEqual(['600519.SH', '000001.SZ']);
    await expect(model.add('600519.SH')).resolves.toBe(false);
    await model.remove('600519.SH');
    expect(api.puts).toEqual([['600519.SH', '000001.sz'], ['000001.SZ']]);
    expect(model.symbols).toEqual(['000001.SZ']);
    expect(onChange).toHaveBeenCalled();
  });

  it('goes back to the confirmed list when a save fails', async () => {
    const api = fakeApi(['600519.SH']);
    const model = new WatchlistModel({ client: api, onChange: () => {} });
    await model.load();
    api.fail = true;
    await expect(model.add('BAD')).resolves.toBe(false);
    expect(model.symbols).toEqual(['600519.SH']);
    expect((model.error as Error).message).toContain('bad symbol');
    model.clearError();
    expect(model.error).toBeNull();
  });

  it('saves in order when changes overlap', async () => {
    const api = fakeApi([]);
    const model = new WatchlistModel({ client: api, onChange: () => {} });
    await model.load();
    await Promise.all([model.add('A.SH'), model.add('B.SH')]);
    expect(api.puts).toEqual([['A.SH'], ['A.SH', 'B.SH']]);
    expect(model.symbols).toEqual(['A.SH', 'B.SH']);
  });
});

describe('WatchlistPanel', () => {
  it('subscribes its symbols and shows quotes from the socket', async () => {
    const api = fakeApi(['600519.SH', '000001.SZ']);
    const socket = makeSocket();
    socket.start();
    const ws = FakeWebSocket.instances[0];
    ws.open();
    const config = new QuantConfig(createTrans('zh', null));
    const panel = new WatchlistPanel({
      client: api,
      socket,
      config,
      search: async () => []
    });
    await flush();
    expect(ws.sent).toEqual([
      { type: 'subscribe', symbols: ['000001.SZ', '600519.SH'] }
    ]);
    const table = panel.node.querySelector(
      '[data-testid="jlq-watchlist-table"]'
    );
    expect(table).not.toBeNull();
    expect(
      [
        ...panel.node.querySelectorAll(
          '[data-testid="jlq-watchlist-row"][data-symbol]'
        )
      ].map(r => r.getAttribute('data-symbol'))
    ).toEqual(['600519.SH', '000001.SZ']);

    ws.receive({
      type: 'quotes',
      sent: 1764053998000,
      quotes: [
        {
          symbol: '600519.SH',
          price: 1450,
          preclose: 1480,
          time: '2026-11-25T10:00:00',
          volume: 1,
          name: '贵州茅台'
        }
      ]
    });
    const price = panel.node.querySelector(
      '[data-testid="jlq-watchlist-row"][data-symbol="600519.SH"] [data-field="price"]'
    );
    expect(price?.textContent).toBe('1450.00');
    expect(price?.getAttribute('data-updated')).toBe('1764053998000');
    expect(price?.className).toContain('jp-QuantLive-green');

    // The colour convention follows the settings.
    config.update(
      { ...DEFAULT_SETTINGS, colorConvention: 'green-up' },
      createTrans('zh', null)
    );
    expect(price?.className).toContain('jp-QuantLive-red');

    await panel.add('300750.SZ', '宁德时代');
    expect(ws.sent[1]).toEqual({
      type: 'subscribe',
      symbols: ['000001.SZ', '300750.SZ', '600519.SH']
    });
    expect(
      panel.node.querySelector(
        '[data-testid="jlq-watchlist-row"][data-symbol="300750.SZ"] [data-field="name"]'
      )?.textContent
    ).toBe('宁德时代');

    panel.dispose();
    expect(ws.sent[2]).toEqual({ type: 'subscribe', symbols: [] });
    socket.dispose();
  });

  it('shows what the socket already knows when opened', async () => {
    const socket = makeSocket();
    socket.subscribe(['600519.SH'], 'someone-else');
    socket.start();
    const ws = FakeWebSocket.instances[0];
    ws.open();
    ws.receive({
      type: 'hello',
      symbols: ['600519.SH'],
      quotes: [
        {
          symbol: '600519.SH',
          price: null,
          preclose: 1480,
          time: '2026-11-25T10:00:00',
          volume: 0,
          name: '贵州茅台'
        }
      ]
    });
    const panel = new WatchlistPanel({
      client: fakeApi(['600519.SH']),
      socket,
      config: new QuantConfig(createTrans('zh', null)),
      search: async () => []
    });
    await flush();
    const price = panel.node.querySelector(
      '[data-testid="jlq-watchlist-row"][data-symbol="600519.SH"] [data-field="price"]'
    );
    expect(price?.textContent).toBe('停牌');
    expect(price?.className).toContain('jp-QuantLive-suspended');
    panel.dispose();
    socket.dispose();
  });
});

describe('watchlist toolbar', () => {
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

  function type(input: HTMLInputElement, value: string): void {
    const setter = Object.getOwnPropertyDescriptor(
      HTMLInputElement.prototype,
      'value'
    )?.set;
    setter?.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }

  it('adds a typed code with Enter, or a search result', async () => {
    jest.useFakeTimers();
    const onAdd = jest.fn();
    const results: ISymbolInfo[] = [
      {
        symbol: '600519.SH',
        code: '600519',
        name: '贵州茅台',
        kind: 'stock',
        exchange: 'SH'
      }
    ];
    const search = jest.fn(async () => results);
    React.act(() =>
      root.render(
        <SymbolAdder
          trans={createTrans('zh', null)}
          search={search}
          onAdd={onAdd}
          has={() => false}
        />
      )
    );
    const input = host.querySelector<HTMLInputElement>(
      '[data-testid="jlq-watchlist-add"]'
    )!;
    React.act(() => type(input, '000001'));
    React.act(() => {
      input.dispatchEvent(
        new KeyboardEvent('keydown', { key: 'Enter', bubbles: true })
      );
    });
    expect(onAdd).toHaveBeenCalledWith('000001.SZ', undefined);

    React.act(() => {
      input.focus();
      type(input, '茅台');
    });
    await React.act(async () => {
      jest.advanceTimersByTime(250);
    });
    expect(search).toHaveBeenCalledWith('茅台', expect.anything());
    const option = host.querySelector('[data-symbol="600519.SH"]');
    expect(option).not.toBeNull();
    React.act(() => {
      option?.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
    });
    expect(onAdd).toHaveBeenLastCalledWith('600519.SH', '贵州茅台');
    jest.useRealTimers();
  });

  it('shows the connection state and retries on click', () => {
    const onRetry = jest.fn();
    React.act(() =>
      root.render(
        <ConnectionIndicator
          trans={createTrans('zh', null)}
          state="reconnecting"
          failures={2}
          onRetry={onRetry}
        />
      )
    );
    const button = host.querySelector<HTMLButtonElement>(
      '[data-testid="jlq-live-connection"]'
    )!;
    expect(button.getAttribute('data-state')).toBe('reconnecting');
    expect(button.textContent).toBe('重连中…（第 2 次）');
    React.act(() => button.click());
    expect(onRetry).toHaveBeenCalled();
  });
});
