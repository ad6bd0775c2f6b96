/**
 * Pure logic of the backtest panel: form validation, formats, labels and the
 * job-list poller (with fake timers).
 */
/* eslint-disable jupyter/no-untranslated-string -- test data, not UI text */
import { QuantApiError } from '../api';
import { describeError } from '../errors';
import { createTrans, ZH_CN } from '../i18n';
import { GREEN, RED } from '../kline/colors';
import type {
  IBacktestJob,
  IBacktestJobsResponse,
  IBacktestStrategyFile
} from '../models';
import {
  anyActive,
  BacktestJobsPoller,
  CUSTOM_FILE,
  defaultParamInputs,
  defaultRange,
  elapsedSeconds,
  formatMoney,
  formatPct,
  formatRate,
  formatRatio,
  IBacktestFormValues,
  initialFormValues,
  isIsoDate,
  jobTitle,
  parseNumber,
  parseSymbols,
  statusLabel,
  statusTone,
  trendColor,
  upsertJob,
  validateForm
} from '../panels/backtest/logic';

// Set by jest's module wrapper (no @types/node here).
declare const __dirname: string;

const zh = createTrans('zh', null);
const en = createTrans('en', null);

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
      strategy_file: 'strategies/sma_cross.py',
      strategy_class: 'SmaCross'
    },
    submitted: '2026-11-25T08:00:00+00:00',
    started: null,
    finished: null,
    error: null,
    summary: null,
    attempts: 0,
    archived: false,
    label: '',
    ...partial
  };
}

const SMA: IBacktestStrategyFile = {
  path: 'sma_cross.py',
  classes: ['SmaCross', 'Other'],
  params: {
    SmaCross: { fast: 10, slow: 30, printlog: false, mode: 'close' },
    Other: { n: null }
  }
};

function form(partial: Partial<IBacktestFormValues> = {}): IBacktestFormValues {
  return {
    ...initialFormValues(new Date(2026, 10, 25)),
    strategyFile: 'sma_cross.py',
    strategyClass: 'SmaCross',
    params: defaultParamInputs(SMA, 'SmaCross'),
    symbols: '600519.SH',
    start: '2020-01-02',
    end: '2020-12-31',
    ...partial
  };
}

describe('form defaults', () => {
  it('offers the last full year, 1,000,000 cash and the CSI 300 benchmark', () => {
    expect(defaultRange(new Date(2026, 10, 25))).toEqual({
      start: '2025-01-01',
      end: '2025-12-31'
    });
    const values = initialFormValues(new Date(2026, 0, 1));
    expect(values.cash).toBe('1000000');
    expect(values.benchmark).toBe('000300.SH');
    expect(values.profile).toBe('default');
  });

  it('prefills parameters with the defaults of the class', () => {
    expect(defaultParamInputs(SMA, 'SmaCross')).toEqual({
      fast: '10',
      slow: '30',
      printlog: false,
      mode: 'close'
    });
    expect(defaultParamInputs(SMA, 'Other')).toEqual({ n: '' });
    expect(defaultParamInputs(null, 'SmaCross')).toEqual({});
    expect(defaultParamInputs(SMA, '')).toEqual({});
  });
});

describe('validateForm', () => {
  it('builds the POST body of a valid form', () => {
    const { request, errors } = validateForm(
      form({ symbols: ' 600519.sh，000001.SZ 600519.SH', label: ' 试验 ' }),
      SMA,
      zh
    );
    expect(errors).toEqual({});
    expect(request).toEqual({
      strategy_file: 'sma_cross.py',
      strategy_class: 'SmaCross',
      symbols: ['600519.SH', '000001.SZ'],
      start: '2020-01-02',
      end: '2020-12-31',
      cash: 1_000_000,
      profile: 'default',
      benchmark: '000300.SH',
      params: { fast: 10, slow: 30, printlog: false, mode: 'close' },
      label: '试验'
    });
  });

  it('rejects a bad symbol, in Chinese with the expected format', () => {
    const { request, errors } = validateForm(
      form({ symbols: '600519.SH, 600519, AAPL.US' }),
      SMA,
      zh
    );
    expect(request).toBeNull();
    expect(errors.symbols).toContain('600519, AAPL.US');
    expect(errors.symbols).toContain('600519.SH');
    expect(errors.symbols).toMatch(/^代码格式不对/);
  });

  it('asks for a symbol when none is given', () => {
    const { errors } = validateForm(form({ symbols: ' , ' }), SMA, en);
    expect(errors.symbols).toBe('Enter at least one symbol, e.g. 600519.SH.');
  });

  it('rejects an end date before the start date', () => {
    const { request, errors } = validateForm(
      form({ start: '2021-01-04', end: '2020-12-31' }),
      SMA,
      zh
    );
    expect(request).toBeNull();
    expect(errors.end).toBe('结束日期 2020-12-31 早于开始日期 2021-01-04。');
    expect(errors.start).toBeUndefined();
  });

  it('rejects dates that are not real days', () => {
    const { errors } = validateForm(
      form({ start: '2020-02-30', end: '' }),
      SMA,
      en
    );
    expect(errors.start).toBe('Enter a start date (YYYY-MM-DD).');
    expect(errors.end).toBe('Enter an end date (YYYY-MM-DD).');
  });

  it('checks cash, benchmark, strategy and numeric parameters', () => {
    const { request, errors } = validateForm(
      form({
        strategyFile: '',
        cash: '-5',
        benchmark: 'csi300',
        params: { fast: 'ten', slow: '30', printlog: true, mode: 'open' }
      }),
      SMA,
      en
    );
    expect(request).toBeNull();
    expect(Object.keys(errors).sort()).toEqual([
      'benchmark',
      'cash',
      'param:fast',
      'strategy'
    ]);
    expect(errors['param:fast']).toBe('fast must be a number.');
  });

  it('accepts cash with separators, no benchmark and untyped parameters', () => {
    const { request } = validateForm(
      form({
        strategyClass: 'Other',
        params: { n: ' 5 ' },
        cash: '2,000,000',
        benchmark: ' '
      }),
      SMA,
      en
    );
    expect(request).toMatchObject({
      cash: 2_000_000,
      benchmark: null,
      strategy_class: 'Other',
      params: { n: 5 }
    });
    const empty = validateForm(
      form({ strategyClass: 'Other', params: { n: '' } }),
      SMA,
      en
    );
    expect(empty.request?.params).toEqual({});
  });

  it('leaves the class to the server when the file lists none', () => {
    const { request } = validateForm(
      form({ strategyFile: 'broken.py', strategyClass: '', params: {} }),
      { path: 'broken.py', classes: [], params: {} },
      en
    );
    expect(request).not.toBeNull();
    expect(request).not.toHaveProperty('strategy_class');
    expect(request).not.toHaveProperty('label');
  });
});

describe('validateForm: custom paths and JSON parameters', () => {
  it('takes a typed path and JSON list parameters', () => {
    const file: IBacktestStrategyFile = {
      path: 'multi.py',
      classes: ['Multi'],
      params: { Multi: { windows: [5, 20], weights: { a: 1 } } }
    };
    const params = defaultParamInputs(file, 'Multi');
    expect(params).toEqual({ windows: '[5,20]', weights: '{"a":1}' });
    const ok = validateForm(
      form({
        strategyFile: 'multi.py',
        strategyClass: 'Multi',
        params: { ...params, windows: '[10, 30]' }
      }),
      file,
      en
    );
    expect(ok.request?.params).toEqual({
      windows: [10, 30],
      weights: { a: 1 }
    });
    const bad = validateForm(
      form({
        strategyFile: 'multi.py',
        strategyClass: 'Multi',
        params: { ...params, windows: '[10, 30' }
      }),
      file,
      en
    );
    expect(bad.errors['param:windows']).toBe(
      'windows must be JSON, like its default [5,20].'
    );
  });

  it('needs a path when "another file" is picked', () => {
    const values = form({
      strategyFile: CUSTOM_FILE,
      strategyClass: '',
      params: {},
      customPath: ' '
    });
    expect(validateForm(values, null, zh).errors.strategy).toBe(
      '请输入策略文件路径（相对 Jupyter 根目录）。'
    );
    const { request } = validateForm(
      { ...values, customPath: '/strategies/broken.py' },
      null,
      zh
    );
    expect(request?.strategy_file).toBe('strategies/broken.py');
  });
});

describe('parsing helpers', () => {
  it('splits symbols on commas, Chinese commas and spaces', () => {
    expect(parseSymbols('600519.sh，000001.sz; 430047.bj\n600519.SH')).toEqual([
      '600519.SH',
      '000001.SZ',
      '430047.BJ'
    ]);
    expect(parseSymbols('')).toEqual([]);
  });

  it('reads dates and numbers', () => {
    expect(isIsoDate('2020-02-29')).toBe(true);
    expect(isIsoDate('2021-02-29')).toBe(false);
    expect(isIsoDate('2020-1-2')).toBe(false);
    expect(parseNumber('1,000,000')).toBe(1_000_000);
    expect(parseNumber('1e6')).toBe(1_000_000);
    expect(parseNumber('abc')).toBeNull();
    expect(parseNumber('  ')).toBeNull();
  });
});

describe('formats', () => {
  it('shows fractions as signed percentages', () => {
    expect(formatPct(0.1234)).toBe('+12.34%');
    expect(formatPct(-0.05)).toBe('-5.00%');
    expect(formatPct(0)).toBe('0.00%');
    expect(formatPct(0.25, false)).toBe('25.00%');
    expect(formatPct(null)).toBe('—');
    expect(formatPct(NaN)).toBe('—');
    expect(formatRatio(1.2345)).toBe('1.23');
    expect(formatRatio(undefined)).toBe('—');
    expect(formatMoney(1234567.891)).toBe('1,234,567.89');
    expect(formatMoney(-1000)).toBe('-1,000.00');
    expect(formatRate(0.00025)).toBe('0.025%');
    expect(formatRate(0.001)).toBe('0.1%');
  });

  it('colours gains red and losses green (A-share), or the other way round', () => {
    expect(trendColor(0.1, 'red-up')).toBe(RED);
    expect(trendColor(-0.1, 'red-up')).toBe(GREEN);
    expect(trendColor(0.1, 'green-up')).toBe(GREEN);
    expect(trendColor(-0.1, 'green-up')).toBe(RED);
    expect(trendColor(0, 'red-up')).toBeUndefined();
    expect(trendColor(null, 'red-up')).toBeUndefined();
  });
});

describe('job labels', () => {
  it('names every status in Chinese and English', () => {
    expect(
      (['queued', 'running', 'done', 'failed', 'cancelled'] as const).map(s =>
        statusLabel(s, zh)
      )
    ).toEqual(['排队中', '运行中', '已完成', '失败', '已取消']);
    expect(statusLabel('done', en)).toBe('Done');
    expect(statusTone('failed')).toBe('error');
    expect(statusTone('running')).toBe('info');
    expect(statusTone('done')).toBe('success');
  });

  it('titles a job by label, else file and class', () => {
    expect(jobTitle(makeJob({ label: 'my run' }), zh)).toBe('my run');
    expect(jobTitle(makeJob(), zh)).toBe('sma_cross.py · SmaCross');
    expect(
      jobTitle(
        makeJob({
          spec: { symbols: [], start: '', end: '', strategy_source: 'x' }
        }),
        zh
      )
    ).toBe('内联策略');
  });

  it('measures run time', () => {
    const job = makeJob({
      started: '2026-11-25T08:00:00+00:00',
      finished: '2026-11-25T08:00:12.500+00:00'
    });
    expect(elapsedSeconds(job)).toBe(12.5);
    expect(elapsedSeconds(makeJob())).toBeNull();
  });

  it('upserts jobs by id, new ones first', () => {
    const a = makeJob({ id: 'aaaaaaaaaaaa' });
    const b = makeJob({ id: 'bbbbbbbbbbbb' });
    expect(upsertJob([a], b).map(j => j.id)).toEqual([b.id, a.id]);
    const done = { ...a, status: 'done' as const };
    expect(upsertJob([b, a], done)[1].status).toBe('done');
    expect(anyActive([done])).toBe(false);
    expect(anyActive([done, b])).toBe(true);
  });

  it("keeps the server's words and translates client-side errors", () => {
    const server = new QuantApiError(
      400,
      'invalid_input',
      '未知代码 (unknown symbol)',
      '用 jlq data symbols 查看'
    );
    expect(describeError(server, zh)).toEqual({
      message: '未知代码 (unknown symbol)',
      hint: '用 jlq data symbols 查看'
    });
    const network = new QuantApiError(0, 'network_error', 'x', null);
    expect(describeError(network, zh).message).toBe(
      '无法连接 Jupyter 服务器。'
    );
    expect(describeError(new Error('boom'), zh).message).toBe('boom');
  });
});

describe('translations', () => {
  it('has a zh-CN entry for every string of the backtest panel', () => {
    // Every trans.__('…') literal of src/panels/backtest and the plugin.
    const fs = jest.requireActual<{
      readdirSync(dir: string): string[];
      readFileSync(file: string, encoding: 'utf-8'): string;
    }>('fs');
    const here = __dirname;
    const dir = `${here}/../panels/backtest`;
    const files = fs
      .readdirSync(dir)
      .map(f => `${dir}/${f}`)
      .concat(`${here}/../index.ts`);
    const missing: string[] = [];
    let count = 0;
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf-8');
      for (const match of text.matchAll(/trans\.__\(\s*'((?:[^'\\]|\\.)*)'/g)) {
        count++;
        if (ZH_CN[match[1]] === undefined) {
          missing.push(match[1]);
        }
      }
    }
    expect(count).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });
});

// ---- poller ------------------------------------------------------------------

function response(...jobs: IBacktestJob[]): IBacktestJobsResponse {
  return { jobs, total: jobs.length };
}

describe('BacktestJobsPoller', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('polls every second while a job is active and stops when all are final', async () => {
    const running = makeJob({ status: 'running', progress: 0.5 });
    const answers = [
      response(makeJob({ status: 'queued' })),
      response(running),
      response({ ...running, status: 'done', progress: 1 })
    ];
    const fetch = jest.fn(() => Promise.resolve(answers.shift()!));
    const seen: string[] = [];
    const poller = new BacktestJobsPoller({
      fetch,
      onJobs: r => seen.push(r.jobs[0].status),
      onError: () => undefined,
      intervalMs: 1000
    });

    await poller.refresh();
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(poller.polling).toBe(true);

    await jest.advanceTimersByTimeAsync(999);
    expect(fetch).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(1000);
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(seen).toEqual(['queued', 'running', 'done']);
    expect(poller.polling).toBe(false);

    // All jobs final: no more requests, however long we wait.
    await jest.advanceTimersByTimeAsync(10_000);
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(jest.getTimerCount()).toBe(0);
    poller.dispose();
  });

  it('does not poll when no job is active', async () => {
    const fetch = jest.fn(() =>
      Promise.resolve(
        response(
          makeJob({ status: 'failed' }),
          makeJob({ status: 'cancelled' })
        )
      )
    );
    const poller = new BacktestJobsPoller({
      fetch,
      onJobs: () => undefined,
      onError: () => undefined
    });
    await poller.refresh();
    expect(poller.polling).toBe(false);
    await jest.advanceTimersByTimeAsync(5000);
    expect(fetch).toHaveBeenCalledTimes(1);
    poller.dispose();
  });

  it('stops on dispose', async () => {
    const fetch = jest.fn(() =>
      Promise.resolve(response(makeJob({ status: 'running' })))
    );
    const poller = new BacktestJobsPoller({
      fetch,
      onJobs: () => undefined,
      onError: () => undefined
    });
    await poller.refresh();
    expect(poller.polling).toBe(true);
    poller.dispose();
    expect(poller.polling).toBe(false);
    await jest.advanceTimersByTimeAsync(5000);
    expect(fetch).toHaveBeenCalledTimes(1);
    await poller.refresh();
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('keeps polling through a few failures, then gives up', async () => {
    let calls = 0;
    const fetch = jest.fn(() => {
      calls++;
      return calls === 1
        ? Promise.resolve(response(makeJob({ status: 'running' })))
        : Promise.reject(new QuantApiError(0, 'network_error', 'down', null));
    });
    const errors: unknown[] = [];
    const poller = new BacktestJobsPoller({
      fetch,
      onJobs: () => undefined,
      onError: e => errors.push(e),
      intervalMs: 1000,
      maxErrors: 3
    });
    await poller.refresh();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(errors).toHaveLength(3);
    expect(fetch).toHaveBeenCalledTimes(4);
    expect(poller.polling).toBe(false);
    poller.dispose();
  });

  it('pauses while hidden until refreshed', async () => {
    let visible = true;
    const fetch = jest.fn(() =>
      Promise.resolve(response(makeJob({ status: 'running' })))
    );
    const poller = new BacktestJobsPoller({
      fetch,
      onJobs: () => undefined,
      onError: () => undefined,
      isVisible: () => visible,
      intervalMs: 1000
    });
    await poller.refresh();
    visible = false;
    await jest.advanceTimersByTimeAsync(5000);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(poller.paused).toBe(true);
    expect(poller.polling).toBe(false);
    visible = true;
    await poller.refresh();
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(poller.paused).toBe(false);
    expect(poller.polling).toBe(true);
    poller.dispose();
  });

  it('drops the answer of a fetch overtaken by a refresh', async () => {
    const resolvers: ((r: IBacktestJobsResponse) => void)[] = [];
    const fetch = jest.fn(
      () =>
        new Promise<IBacktestJobsResponse>(resolve => resolvers.push(resolve))
    );
    const seen: string[] = [];
    const poller = new BacktestJobsPoller({
      fetch,
      onJobs: r => seen.push(r.jobs[0].status),
      onError: () => undefined
    });
    const first = poller.refresh();
    const second = poller.refresh();
    resolvers[1](response(makeJob({ status: 'done' })));
    resolvers[0](response(makeJob({ status: 'running' })));
    await Promise.all([first, second]);
    expect(seen).toEqual(['done']);
    expect(poller.polling).toBe(false);
    poller.dispose();
  });
});
