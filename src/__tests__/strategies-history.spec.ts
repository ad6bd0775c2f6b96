/**
 * The strategy version history (策略版本历史): diff parsing, the history
 * state machine (load, show, diff, restore, backtest hand-off) with the api
 * mocked, the rendered view (coloured diff lines), and the backtest panel's
 * "回测此版本" hand-off (prefilled form, strategy_source of that version).
 */
/* eslint-disable jupyter/no-untranslated-string -- test data, not UI text */
import * as React from 'react';

import type { BacktestClient } from '../api';
import { QuantApiError } from '../api';
import { QuantConfig } from '../config';
import { createTrans } from '../i18n';
import type { IBacktestJob, IStrategyVersion } from '../models';
import {
  sourceClasses,
  validateVaultForm,
  initialFormValues,
  vaultLabel
} from '../panels/backtest/logic';
import { BacktestView } from '../panels/backtest/view';
import {
  defaultDiffPair,
  diffStats,
  formatBytes,
  IHistoryApi,
  IHistoryState,
  parseUnifiedDiff,
  StrategyHistory
} from '../panels/strategies/logic';
import { StrategyHistoryView } from '../panels/strategies/view';

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

const DIFF = `--- sma.py@v1
+++ sma.py@v2
@@ -1,4 +1,5 @@
 import backtrader as bt
-FAST = 5
+FAST = 7
+SLOW = 20
 
 class Sma(bt.Strategy):
`;

const SRC1 = 'import backtrader as bt\nFAST = 5\n\nclass Sma(bt.Strategy):\n';
const SRC2 = SRC1.replace('FAST = 5', 'FAST = 7\nSLOW = 20');

function versions(n: number): IStrategyVersion[] {
  return Array.from({ length: n }, (_, i) => ({
    version: i + 1,
    created: `2026-11-25T0${i}:00:00+00:00`,
    message: i === 0 ? '第一版' : `saved ${i + 1}`,
    size: 100 + i
  }));
}

function fakeApi(count = 2) {
  let list = versions(count);
  const api = {
    versions: jest.fn(async (name: string) => ({ name, versions: list })),
    get: jest.fn(async (name: string, v?: number | null) => ({
      name,
      version: v ?? list.length,
      content: v === 1 ? SRC1 : SRC2,
      versions: list
    })),
    diff: jest.fn(async (name: string, from: number, to: number) => ({
      name,
      from,
      to,
      diff: from === to ? '' : DIFF
    })),
    restore: jest.fn(async (name: string, v: number) => {
      list = versions(list.length + 1);
      return { name, ...list[list.length - 1], changed: true };
    })
  };
  return api as typeof api & IHistoryApi;
}

describe('unified diff', () => {
  it('classifies lines and numbers them', () => {
    const lines = parseUnifiedDiff(DIFF);
    expect(lines.map(l => l.kind)).toEqual([
      'meta',
      'meta',
      'hunk',
      'context',
      'del',
      'add',
      'add',
      'context',
      'context'
    ]);
    expect(lines[4]).toMatchObject({
      text: '-FAST = 5',
      oldLine: 2,
      newLine: null
    });
    expect(lines[6]).toMatchObject({
      text: '+SLOW = 20',
      oldLine: null,
      newLine: 3
    });
    expect(lines[8]).toMatchObject({ oldLine: 4, newLine: 5 });
    expect(diffStats(lines)).toEqual({ added: 2, removed: 1 });
    expect(parseUnifiedDiff('')).toEqual([]);
  });

  it('formats sizes and picks the default pair', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
    expect(defaultDiffPair(versions(1))).toBeNull();
    expect(defaultDiffPair(versions(3))).toEqual({ from: 2, to: 3 });
  });
});

describe('StrategyHistory', () => {
  it('loads the versions and diffs the last two', async () => {
    const api = fakeApi(2);
    const states: IHistoryState[] = [];
    const h = new StrategyHistory({
      client: api,
      name: 'sma',
      trans: zh,
      onChange: s => states.push(s)
    });
    await h.load();
    expect(h.state.versions!.map(v => v.version)).toEqual([1, 2]);
    expect(h.state.selected).toBe(2);
    expect(api.diff).toHaveBeenCalledWith('sma', 1, 2);
    expect(h.state.pane).toMatchObject({
      kind: 'diff',
      from: 1,
      to: 2,
      empty: false
    });
    expect(states.some(s => s.busy)).toBe(true);
    expect(h.state.busy).toBe(false);

    await h.show(1);
    expect(h.state.pane).toEqual({
      kind: 'version',
      version: 1,
      content: SRC1
    });
    h.setDiffPair(2, null);
    h.setDiffPair(null, 2);
    await h.diff();
    expect(h.state.pane).toMatchObject({
      kind: 'diff',
      from: 2,
      to: 2,
      empty: true
    });
  });

  it('shows the only version of a new strategy', async () => {
    const api = fakeApi(1);
    const h = new StrategyHistory({ client: api, name: 'sma', trans: zh });
    await h.load();
    expect(api.diff).not.toHaveBeenCalled();
    expect(h.state.pane).toMatchObject({ kind: 'version', version: 1 });
  });

  it('restores a version as a new one and reloads', async () => {
    const api = fakeApi(2);
    const onRestored = jest.fn();
    const h = new StrategyHistory({
      client: api,
      name: 'sma',
      trans: zh,
      onRestored
    });
    await h.load();
    const saved = await h.restore(1);
    expect(api.restore).toHaveBeenCalledWith('sma', 1);
    expect(saved!.version).toBe(3);
    expect(onRestored).toHaveBeenCalledWith(saved);
    expect(h.state.versions!.length).toBe(3);
    expect(h.state.restored!.version).toBe(3);
  });

  it('hands the selected version to the backtest panel', async () => {
    const onBacktest = jest.fn();
    const h = new StrategyHistory({
      client: fakeApi(3),
      name: 'sma',
      trans: zh,
      onBacktest
    });
    await h.load();
    h.select(2);
    expect(h.backtest()).toEqual({ name: 'sma', version: 2 });
    expect(onBacktest).toHaveBeenCalledWith({ name: 'sma', version: 2 });
  });

  it('shows errors with their hint (e.g. a locked vault)', async () => {
    const api = fakeApi(2);
    api.versions.mockRejectedValueOnce(
      new QuantApiError(
        423,
        'vault_locked',
        '保险库已锁定',
        '设置 JLQ_VAULT_PASSPHRASE'
      )
    );
    const h = new StrategyHistory({
      client: api,
      name: 'sma',
      trans: zh,
      describe: e => ({
        message: (e as QuantApiError).message,
        hint: (e as QuantApiError).hint
      })
    });
    await h.load();
    expect(h.state.error).toEqual({
      message: '保险库已锁定',
      hint: '设置 JLQ_VAULT_PASSPHRASE'
    });
    expect(h.state.versions).toBeNull();
  });
});

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

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await React.act(async () => {
      await Promise.resolve();
    });
  }
}

describe('StrategyHistoryView', () => {
  it('lists versions newest first and colours the diff', async () => {
    const h = new StrategyHistory({
      client: fakeApi(2),
      name: 'sma',
      trans: zh
    });
    await h.load();
    React.act(() =>
      root.render(
        React.createElement(StrategyHistoryView, {
          history: h,
          state: h.state,
          trans: zh
        })
      )
    );
    const rows = [
      ...host.querySelectorAll<HTMLElement>(
        '[data-testid="quant-strategy-version"]'
      )
    ];
    expect(rows.map(r => r.dataset.version)).toEqual(['2', '1']);
    expect(rows[1].textContent).toContain('第一版');
    expect(rows[0].textContent).toContain('最新');
    const diff = host.querySelector<HTMLElement>(
      '[data-testid="quant-strategy-diff"]'
    )!;
    expect(diff.textContent).toContain('v1 → v2 的改动');
    expect(diff.querySelectorAll('.jp-mod-add').length).toBe(2);
    expect(diff.querySelectorAll('.jp-mod-del').length).toBe(1);
    expect(host.textContent).toContain('回测此版本');
    // the latest version cannot be "restored" onto itself
    const restore = host.querySelector<HTMLButtonElement>(
      '[data-testid="quant-strategy-restore"]'
    )!;
    expect(restore.disabled).toBe(true);
  });
});

describe('backtest this version (回测此版本)', () => {
  it('finds the strategy classes of a source', () => {
    expect(
      sourceClasses(
        'import backtrader as bt\nclass A(bt.Strategy):\n  pass\nclass Helper(object):\n  pass\nclass B(A, bt.Strategy):\n  pass\n'
      )
    ).toEqual(['A', 'B']);
  });

  it('builds a strategy_source request labelled NAME vN', () => {
    const values = {
      ...initialFormValues(new Date(2026, 0, 1)),
      symbols: '600519.SH'
    };
    const ref = { name: 'sma', version: 3 };
    const { request, errors } = validateVaultForm(values, ref, SRC2, zh);
    expect(errors).toEqual({});
    expect(request).toMatchObject({
      strategy_source: SRC2,
      symbols: ['600519.SH'],
      label: 'sma v3'
    });
    expect(request).not.toHaveProperty('strategy_file');
    expect(vaultLabel(ref)).toBe('sma v3');
    const bad = validateVaultForm({ ...values, symbols: '' }, ref, SRC2, zh);
    expect(bad.request).toBeNull();
    expect(bad.errors.symbols).toBeTruthy();
  });

  it('prefills the backtest panel and submits the version’s source', async () => {
    const submitted: unknown[] = [];
    const client = {
      list: jest.fn(() => Promise.resolve({ jobs: [], total: 0 })),
      submit: jest.fn((request: unknown) => {
        submitted.push(request);
        return Promise.resolve({
          id: 'ffffffffffff',
          status: 'queued',
          spec: {
            symbols: ['600519.SH'],
            start: '2025-01-01',
            end: '2025-12-31'
          },
          label: 'sma v1'
        } as unknown as IBacktestJob);
      }),
      strategies: jest.fn(() => Promise.resolve({ strategies: [] })),
      profiles: jest.fn(() => Promise.resolve({ profiles: [] }))
    };
    const vaultSource = jest.fn(async () => SRC1);
    const ref = React.createRef<BacktestView>();
    React.act(() =>
      root.render(
        React.createElement(BacktestView, {
          ref,
          client: client as unknown as BacktestClient,
          config: new QuantConfig(zh),
          revision: 0,
          onOpenReport: jest.fn(),
          initialVault: { name: 'sma', version: 1 },
          vaultSource
        })
      )
    );
    await flush();
    expect(vaultSource).toHaveBeenCalledWith({ name: 'sma', version: 1 });
    const shown = host.querySelector(
      '[data-testid="quant-backtest-vault-strategy"]'
    )!;
    expect(shown.textContent).toBe('sma v1');
    expect(
      host.querySelector('[data-testid="quant-backtest-strategy"]')
    ).toBeNull();
    const cls = host.querySelector<HTMLSelectElement>(
      '[data-testid="quant-backtest-class"]'
    )!;
    expect(cls.value).toBe('Sma');
    expect(
      host.querySelector<HTMLInputElement>(
        '[data-testid="quant-backtest-label"]'
      )!.value
    ).toBe('sma v1');

    // switching version from the history while the panel is open
    await React.act(() =>
      ref.current!.useVaultStrategy({ name: 'sma', version: 2 })
    );
    await flush();
    expect(shown.textContent).toBe('sma v2');

    const symbols = host.querySelector<HTMLInputElement>(
      '[data-testid="quant-backtest-symbols"]'
    )!;
    Object.getOwnPropertyDescriptor(
      HTMLInputElement.prototype,
      'value'
    )!.set!.call(symbols, '600519.SH');
    React.act(() => {
      symbols.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await React.act(async () => {
      await ref.current!.submit();
    });
    expect(submitted).toHaveLength(1);
    expect(submitted[0]).toMatchObject({
      strategy_source: SRC1, // the fake source answers SRC1 for every version
      strategy_class: 'Sma',
      label: 'sma v2',
      symbols: ['600519.SH']
    });
    expect(submitted[0]).not.toHaveProperty('strategy_file');

    // ✕ goes back to picking a file
    React.act(() => {
      host
        .querySelector<HTMLButtonElement>(
          '[data-testid="quant-backtest-clear-vault"]'
        )!
        .click();
    });
    expect(
      host.querySelector('[data-testid="quant-backtest-vault-strategy"]')
    ).toBeNull();
    expect(
      host.querySelector('[data-testid="quant-backtest-strategy"]')
    ).not.toBeNull();
  });
});
