/**
 * The backtest panel rendered with React in jsdom: the job list in every
 * status, the form (strategies, parameters, validation, server errors) and
 * the polling of the view.
 */
/* eslint-disable jupyter/no-untranslated-string -- test data, not UI text */
import * as React from 'react';

import type { BacktestClient } from '../api';
import { QuantApiError } from '../api';
import { QuantConfig } from '../config';
import { createTrans } from '../i18n';
import { RED } from '../kline/colors';
import type {
  IBacktestJob,
  IBacktestJobsResponse,
  IBacktestStrategiesResponse,
  IBrokerProfilesResponse
} from '../models';
import { JobList } from '../panels/backtest/jobs';
import { CUSTOM_FILE } from '../panels/backtest/logic';
import {
  BacktestReportWidget,
  REPORT_SANDBOX
} from '../panels/backtest/report';
import { BacktestView } from '../panels/backtest/view';

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

function makeJob(partial: Partial<IBacktestJob> = {}): IBacktestJob {
  return {
    id: 'a1b2c3d4e5f6',
    kind: 'backtest',
    status: 'queued',
    progress: 0,
    spec: {
      symbols: ['600519.SH'],
      start: '2020-01-02',
      end: '2020-12-31',
      strategy_file: 'sma_cross.py',
      strategy_class: 'SmaCross'
    },
    submitted: '2026-11-25T08:00:00+00:00',
    started: null,
    finished: null,
    error: null,
    summary: null,
    attempts: 1,
    archived: false,
    label: '',
    ...partial
  };
}

const SUMMARY = {
  final_value: 1_123_400,
  total_return: 0.1234,
  annual_return: -0.0456,
  sharpe: 0.87,
  max_drawdown: 0.0912,
  trade_count: 14
};

const ALL_STATUSES: IBacktestJob[] = [
  makeJob({ id: '000000000001', status: 'queued' }),
  makeJob({
    id: '000000000002',
    status: 'running',
    progress: 0.42,
    started: '2026-11-25T08:00:01+00:00'
  }),
  makeJob({
    id: '000000000003',
    status: 'done',
    progress: 1,
    label: 'SMA 5/20',
    started: '2026-11-25T08:00:01+00:00',
    finished: '2026-11-25T08:00:04+00:00',
    summary: SUMMARY
  }),
  makeJob({
    id: '000000000004',
    status: 'failed',
    finished: '2026-11-25T08:00:02+00:00',
    error: {
      error: 'strategy_error',
      message: '策略代码有语法错误 (syntax error in strategy): line 3',
      hint: '修正 broken.py 第 3 行',
      traceback:
        'Traceback (most recent call last):\n  File "broken.py", line 3'
    }
  }),
  makeJob({ id: '000000000005', status: 'cancelled' })
];

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

function q<T extends Element = HTMLElement>(
  selector: string,
  scope: ParentNode = host
): T {
  const found = scope.querySelector<T & Element>(selector);
  if (!found) {
    throw new Error(`not found: ${selector}\n${host.innerHTML}`);
  }
  return found as T;
}

function byTestId<T extends Element = HTMLElement>(
  id: string,
  scope: ParentNode = host
): T {
  return q<T>(`[data-testid="${id}"]`, scope);
}

/** Type into an input or pick an option the way React notices. */
function setValue(
  element: HTMLInputElement | HTMLSelectElement,
  value: string
) {
  const proto =
    element instanceof HTMLSelectElement
      ? HTMLSelectElement.prototype
      : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(element, value);
  React.act(() => {
    element.dispatchEvent(
      new Event(element instanceof HTMLSelectElement ? 'change' : 'input', {
        bubbles: true
      })
    );
  });
}

async function flush(): Promise<void> {
  await React.act(async () => {
    await Promise.resolve();
  });
}

describe('JobList', () => {
  const handlers = () => ({
    onCancel: jest.fn(),
    onOpenReport: jest.fn(),
    onRefresh: jest.fn(),
    onShowArchived: jest.fn()
  });

  it('renders each status with its badge, progress, summary and actions', () => {
    const on = handlers();
    render(
      React.createElement(JobList, {
        trans: createTrans('zh', null),
        jobs: ALL_STATUSES,
        total: ALL_STATUSES.length,
        colorConvention: 'red-up',
        error: null,
        cancelling: new Set<string>(),
        showArchived: false,
        ...on
      })
    );
    const rows = Array.from(
      host.querySelectorAll<HTMLElement>('[data-testid="quant-backtest-job"]')
    );
    expect(rows.map(r => r.dataset.status)).toEqual([
      'queued',
      'running',
      'done',
      'failed',
      'cancelled'
    ]);
    const [queued, running, done, failed, cancelled] = rows;
    const badge = (row: HTMLElement) =>
      byTestId('quant-backtest-status', row).textContent;
    expect(rows.map(badge)).toEqual([
      '排队中',
      '运行中',
      '已完成',
      '失败',
      '已取消'
    ]);

    // queued: indeterminate progress, cancel
    const queuedBar = byTestId<HTMLProgressElement>(
      'quant-backtest-progress',
      queued
    );
    expect(queuedBar.hasAttribute('value')).toBe(false);
    expect(byTestId('quant-backtest-cancel', queued).textContent).toBe('取消');
    expect(
      queued.querySelector('[data-testid="quant-backtest-open-report"]')
    ).toBeNull();

    // running: progress value, cancel
    expect(
      byTestId<HTMLProgressElement>('quant-backtest-progress', running).value
    ).toBeCloseTo(0.42);
    expect(running.textContent).toContain('42%');
    React.act(() => byTestId('quant-backtest-cancel', running).click());
    expect(on.onCancel).toHaveBeenCalledWith(ALL_STATUSES[1]);

    // done: summary numbers as %, coloured red for a gain (red-up), report
    expect(
      done.querySelector('[data-testid="quant-backtest-progress"]')
    ).toBeNull();
    expect(
      done.querySelector('[data-testid="quant-backtest-cancel"]')
    ).toBeNull();
    const total = byTestId('quant-backtest-total-return', done);
    expect(total.textContent).toBe('总收益+12.34%');
    expect(total.dataset.trend).toBe('up');
    expect(
      q<HTMLElement>('.jp-QuantBacktest-metricValue', total).style.color
    ).toBe('rgb(214, 39, 40)');
    expect(RED).toBe('#d62728');
    const annual = byTestId('quant-backtest-annual-return', done);
    expect(annual.textContent).toBe('年化收益-4.56%');
    expect(annual.dataset.trend).toBe('down');
    expect(byTestId('quant-backtest-sharpe', done).textContent).toBe(
      '夏普比率0.87'
    );
    expect(byTestId('quant-backtest-max-drawdown', done).textContent).toBe(
      '最大回撤9.12%'
    );
    expect(byTestId('quant-backtest-trade-count', done).textContent).toBe(
      '交易笔数14'
    );
    expect(done.textContent).toContain('SMA 5/20');
    expect(done.textContent).toContain('sma_cross.py · SmaCross');
    const open = byTestId('quant-backtest-open-report', done);
    expect(open.textContent).toBe('打开报告');
    React.act(() => open.click());
    expect(on.onOpenReport).toHaveBeenCalledWith(ALL_STATUSES[2]);
    const tearsheet = byTestId<HTMLAnchorElement>(
      'quant-backtest-tearsheet',
      done
    );
    expect(tearsheet.textContent).toBe('平板报告');
    expect(tearsheet.target).toBe('_blank');
    expect(tearsheet.getAttribute('href')).toContain(
      `jupyterlab-quant/dashboards/tearsheet?report=${ALL_STATUSES[2].id}&lang=zh`
    );
    expect(
      queued.querySelector('[data-testid="quant-backtest-tearsheet"]')
    ).toBeNull();

    // failed: message, hint, expandable traceback
    const error = byTestId('quant-backtest-job-error', failed);
    expect(error.textContent).toContain('策略代码有语法错误');
    expect(error.textContent).toContain('处理建议：修正 broken.py 第 3 行');
    const details = byTestId<HTMLDetailsElement>(
      'quant-backtest-traceback',
      failed
    );
    expect(details.tagName).toBe('DETAILS');
    expect(details.open).toBe(false);
    expect(details.textContent).toContain('Traceback (most recent call last)');
    expect(
      failed.querySelector('[data-testid="quant-backtest-cancel"]')
    ).toBeNull();

    // cancelled: no action
    expect(cancelled.querySelectorAll('button')).toHaveLength(0);
  });

  it('colours a gain green under the green-up convention, in English', () => {
    render(
      React.createElement(JobList, {
        trans: createTrans('en', null),
        jobs: [ALL_STATUSES[2]],
        total: 1,
        colorConvention: 'green-up',
        error: null,
        cancelling: new Set<string>(),
        showArchived: false,
        ...handlers()
      })
    );
    const total = byTestId('quant-backtest-total-return');
    expect(total.textContent).toBe('Total return+12.34%');
    expect(
      q<HTMLElement>('.jp-QuantBacktest-metricValue', total).style.color
    ).toBe('rgb(44, 160, 44)');
    expect(byTestId('quant-backtest-status').textContent).toBe('Done');
  });

  it('says when there are no jobs', () => {
    render(
      React.createElement(JobList, {
        trans: createTrans('zh', null),
        jobs: [],
        total: 0,
        colorConvention: 'red-up',
        error: null,
        cancelling: new Set<string>(),
        showArchived: false,
        ...handlers()
      })
    );
    expect(byTestId('quant-backtest-empty').textContent).toContain(
      '还没有回测'
    );
  });
});

// ---- the whole view ----------------------------------------------------------

const STRATEGIES: IBacktestStrategiesResponse = {
  strategies: [
    {
      path: 'sma_cross.py',
      classes: ['SmaCross'],
      params: { SmaCross: { fast: 10, slow: 30, printlog: false } }
    },
    {
      path: 'strategies/rsi.py',
      classes: ['Rsi', 'RsiFast'],
      params: { Rsi: { period: 14 }, RsiFast: { period: 6, upper: 70 } }
    }
  ]
};

const PROFILES: IBrokerProfilesResponse = {
  profiles: [
    {
      name: 'default',
      commission_rate: 0.00025,
      min_commission: 5,
      slippage: 0.001,
      rounding: 'half_up',
      builtin: true
    },
    {
      name: 'cheap',
      commission_rate: 0.0001,
      min_commission: 0,
      slippage: 0,
      rounding: 'half_up',
      builtin: false
    }
  ]
};

/**
 * A client over an in-memory job store: `lists` (when given) are answered in
 * turn by `list`, the last one repeatedly; otherwise the store is listed.
 * Submitting adds a queued job, cancelling marks it cancelled.
 */
function fakeClient(lists: IBacktestJobsResponse[] = []) {
  let store: IBacktestJob[] = [];
  const list = jest.fn(() => {
    if (lists.length > 0) {
      const next = lists.length > 1 ? lists.shift()! : lists[0];
      store = next.jobs;
    }
    return Promise.resolve({ jobs: [...store], total: store.length });
  });
  const client = {
    list,
    get: jest.fn(),
    submit: jest.fn((request: unknown) => {
      const job = makeJob({ id: 'ffffffffffff', status: 'queued' });
      store = [job, ...store];
      lists.length = 0;
      return Promise.resolve(job);
    }),
    cancel: jest.fn((id: string) => {
      store = store.map(j =>
        j.id === id ? { ...j, status: 'cancelled' as const } : j
      );
      lists.length = 0;
      return Promise.resolve(store.find(j => j.id === id)!);
    }),
    result: jest.fn(),
    report: jest.fn(),
    strategies: jest.fn(() => Promise.resolve(STRATEGIES)),
    profiles: jest.fn(() => Promise.resolve(PROFILES))
  };
  return client;
}

function renderView(
  client: ReturnType<typeof fakeClient>,
  language: 'zh' | 'en' = 'zh'
) {
  const onOpenReport = jest.fn();
  render(
    React.createElement(BacktestView, {
      client: client as unknown as BacktestClient,
      config: new QuantConfig(createTrans(language, null)),
      revision: 0,
      onOpenReport
    })
  );
  return { onOpenReport };
}

function submit(): void {
  React.act(() => {
    byTestId('quant-backtest-form').dispatchEvent(
      new Event('submit', { bubbles: true, cancelable: true })
    );
  });
}

function fieldError(field: string): string | null {
  return (
    host.querySelector(
      `[data-testid="quant-backtest-field-error"][data-field="${field}"]`
    )?.textContent ?? null
  );
}

describe('BacktestView', () => {
  it('loads strategies, classes, parameter defaults and profiles', async () => {
    const client = fakeClient();
    renderView(client);
    await flush();
    const strategy = byTestId<HTMLSelectElement>('quant-backtest-strategy');
    expect(strategy.value).toBe('sma_cross.py');
    expect(Array.from(strategy.options).map(o => o.value)).toEqual([
      '',
      'sma_cross.py',
      'strategies/rsi.py',
      CUSTOM_FILE
    ]);
    expect(byTestId<HTMLSelectElement>('quant-backtest-class').value).toBe(
      'SmaCross'
    );
    expect(byTestId<HTMLInputElement>('quant-backtest-param-fast').value).toBe(
      '10'
    );
    expect(byTestId<HTMLInputElement>('quant-backtest-param-slow').value).toBe(
      '30'
    );
    expect(
      byTestId<HTMLInputElement>('quant-backtest-param-printlog').type
    ).toBe('checkbox');
    expect(byTestId<HTMLInputElement>('quant-backtest-cash').value).toBe(
      '1000000'
    );
    expect(byTestId<HTMLInputElement>('quant-backtest-benchmark').value).toBe(
      '000300.SH'
    );
    expect(byTestId<HTMLSelectElement>('quant-backtest-profile').value).toBe(
      'default'
    );
    expect(byTestId('quant-backtest-profile-info').textContent).toBe(
      '佣金 0.025%，最低 5 元，滑点 0.1%'
    );
    expect(byTestId('quant-backtest-submit').textContent).toBe('提交回测');

    // Another file: its first class and that class's defaults.
    setValue(strategy, 'strategies/rsi.py');
    expect(byTestId<HTMLSelectElement>('quant-backtest-class').value).toBe(
      'Rsi'
    );
    expect(
      byTestId<HTMLInputElement>('quant-backtest-param-period').value
    ).toBe('14');
    expect(
      host.querySelector('[data-testid="quant-backtest-param-fast"]')
    ).toBeNull();
    setValue(byTestId<HTMLSelectElement>('quant-backtest-class'), 'RsiFast');
    expect(
      byTestId<HTMLInputElement>('quant-backtest-param-period').value
    ).toBe('6');
    expect(byTestId<HTMLInputElement>('quant-backtest-param-upper').value).toBe(
      '70'
    );
  });

  it('shows validation errors next to the fields and sends nothing', async () => {
    const client = fakeClient();
    renderView(client);
    await flush();
    setValue(byTestId('quant-backtest-symbols'), '600519.SH, 60051');
    setValue(byTestId('quant-backtest-start'), '2021-01-04');
    setValue(byTestId('quant-backtest-end'), '2020-12-31');
    submit();
    expect(fieldError('symbols')).toContain('60051');
    expect(fieldError('end')).toBe(
      '结束日期 2020-12-31 早于开始日期 2021-01-04。'
    );
    expect(
      byTestId('quant-backtest-symbols').getAttribute('aria-invalid')
    ).toBe('true');
    expect(client.submit).not.toHaveBeenCalled();
  });

  it('submits a valid form and lists the new job at once', async () => {
    const client = fakeClient();
    renderView(client);
    await flush();
    setValue(byTestId('quant-backtest-symbols'), '600519.sh');
    setValue(byTestId('quant-backtest-start'), '2020-01-02');
    setValue(byTestId('quant-backtest-end'), '2020-12-31');
    setValue(byTestId('quant-backtest-param-fast'), '5');
    submit();
    await flush();
    expect(client.submit).toHaveBeenCalledWith({
      strategy_file: 'sma_cross.py',
      strategy_class: 'SmaCross',
      symbols: ['600519.SH'],
      start: '2020-01-02',
      end: '2020-12-31',
      cash: 1_000_000,
      profile: 'default',
      benchmark: '000300.SH',
      params: { fast: 5, slow: 30, printlog: false }
    });
    expect(fieldError('symbols')).toBeNull();
    const row = byTestId('quant-backtest-job');
    expect(row.dataset.jobId).toBe('ffffffffffff');
    expect(row.dataset.status).toBe('queued');
    // The list is fetched again after the submit.
    expect(client.list.mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it("shows the server's 400 message and hint next to the form", async () => {
    const client = fakeClient();
    client.submit.mockImplementation(() =>
      Promise.reject(
        new QuantApiError(
          400,
          'invalid_input',
          '策略文件不存在 (no such strategy file): sma_cross.py',
          '先保存策略文件'
        )
      )
    );
    renderView(client);
    await flush();
    setValue(byTestId('quant-backtest-symbols'), '600519.SH');
    submit();
    await flush();
    const error = byTestId('quant-backtest-form-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('策略文件不存在');
    expect(error.textContent).toContain('处理建议：先保存策略文件');
    expect(byTestId<HTMLButtonElement>('quant-backtest-submit').disabled).toBe(
      false
    );
  });

  it('says so when no strategy file exists', async () => {
    const client = fakeClient();
    client.strategies.mockImplementation(() =>
      Promise.resolve({ strategies: [] })
    );
    renderView(client, 'en');
    await flush();
    expect(host.textContent).toContain('No strategy found');
    setValue(byTestId('quant-backtest-symbols'), '600519.SH');
    submit();
    expect(fieldError('strategy')).toContain('Pick a strategy file');
  });

  it('submits a strategy file typed by hand', async () => {
    const client = fakeClient();
    renderView(client, 'en');
    await flush();
    setValue(byTestId('quant-backtest-strategy'), CUSTOM_FILE);
    expect(
      host.querySelector('[data-testid="quant-backtest-params"]')
    ).toBeNull();
    expect(byTestId<HTMLSelectElement>('quant-backtest-class').disabled).toBe(
      true
    );
    setValue(byTestId('quant-backtest-symbols'), '000001.SZ');
    submit();
    expect(fieldError('strategy')).toBe(
      'Enter the path of the strategy file, relative to the Jupyter root.'
    );
    setValue(byTestId('quant-backtest-strategy-path'), 'deep/dir/broken.py');
    submit();
    await flush();
    expect(client.submit).toHaveBeenCalledTimes(1);
    const request = client.submit.mock.calls[0][0] as Record<string, unknown>;
    expect(request.strategy_file).toBe('deep/dir/broken.py');
    expect(request).not.toHaveProperty('strategy_class');
    expect(request.params).toEqual({});
  });

  it('cancels a running job', async () => {
    const running = makeJob({ status: 'running', progress: 0.3 });
    const client = fakeClient([{ jobs: [running], total: 1 }]);
    renderView(client);
    await flush();
    React.act(() => byTestId('quant-backtest-cancel').click());
    await flush();
    expect(client.cancel).toHaveBeenCalledWith(running.id);
    expect(byTestId('quant-backtest-job').dataset.status).toBe('cancelled');
  });
});

describe('BacktestView polling', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('polls while a job runs and stops once every job is final', async () => {
    const running = makeJob({ status: 'running', progress: 0.1 });
    const client = fakeClient([
      { jobs: [running], total: 1 },
      { jobs: [{ ...running, progress: 0.6 }], total: 1 },
      {
        jobs: [{ ...running, status: 'done', progress: 1, summary: SUMMARY }],
        total: 1
      }
    ]);
    const { onOpenReport } = renderView(client);
    await flush();
    expect(client.list).toHaveBeenCalledTimes(1);
    expect(byTestId('quant-backtest-job').dataset.status).toBe('running');

    await React.act(() => jest.advanceTimersByTimeAsync(1000));
    expect(client.list).toHaveBeenCalledTimes(2);
    expect(
      byTestId<HTMLProgressElement>('quant-backtest-progress').value
    ).toBeCloseTo(0.6);

    await React.act(() => jest.advanceTimersByTimeAsync(1000));
    expect(client.list).toHaveBeenCalledTimes(3);
    expect(byTestId('quant-backtest-job').dataset.status).toBe('done');
    expect(byTestId('quant-backtest-total-return').textContent).toContain(
      '+12.34%'
    );

    await React.act(() => jest.advanceTimersByTimeAsync(10_000));
    expect(client.list).toHaveBeenCalledTimes(3);

    React.act(() => byTestId('quant-backtest-open-report').click());
    expect(onOpenReport).toHaveBeenCalledTimes(1);
  });

  it('stops polling when unmounted', async () => {
    const client = fakeClient([
      { jobs: [makeJob({ status: 'running' })], total: 1 }
    ]);
    renderView(client);
    await flush();
    React.act(() => root.unmount());
    root = createRoot(host);
    await React.act(() => jest.advanceTimersByTimeAsync(5000));
    expect(client.list).toHaveBeenCalledTimes(1);
  });
});

describe('BacktestReportWidget', () => {
  it('shows the fetched report in a sandboxed iframe', async () => {
    const html =
      '<!DOCTYPE html><title>回测报告 · SmaCross</title><h1>回测报告</h1>';
    const report = jest.fn(() => Promise.resolve(html));
    const widget = new BacktestReportWidget({
      client: { report } as unknown as BacktestClient,
      trans: createTrans('zh', null),
      jobId: 'a1b2c3d4e5f6',
      label: 'SmaCross'
    });
    const loading = widget.load();
    expect(widget.node.dataset.state).toBe('loading');
    expect(widget.node.textContent).toContain('正在加载报告');
    await loading;
    expect(report).toHaveBeenCalledWith('a1b2c3d4e5f6', 'zh', {
      signal: expect.anything()
    });
    const frame = widget.node.querySelector('iframe')!;
    expect(frame.getAttribute('sandbox')).toBe(REPORT_SANDBOX);
    expect(REPORT_SANDBOX).not.toContain('allow-same-origin');
    expect(frame.srcdoc).toBe(html);
    expect(widget.node.dataset.state).toBe('loaded');
    expect(widget.html).toBe(html);
    expect(widget.label).toBe('SmaCross');
    widget.dispose();
  });

  it("shows the server's message when the report cannot be had", async () => {
    const widget = new BacktestReportWidget({
      client: {
        report: () =>
          Promise.reject(
            new QuantApiError(
              409,
              'job_not_ready',
              '回测尚未完成 (not done yet)',
              '等任务完成后再打开报告'
            )
          )
      } as unknown as BacktestClient,
      trans: createTrans('zh', null),
      jobId: 'a1b2c3d4e5f6'
    });
    await widget.load();
    expect(widget.node.dataset.state).toBe('error');
    expect(widget.node.textContent).toContain('回测尚未完成');
    expect(widget.node.textContent).toContain(
      '处理建议：等任务完成后再打开报告'
    );
    expect(widget.label).toBe('a1b2c3d4e5f6');
    widget.dispose();
  });
});
