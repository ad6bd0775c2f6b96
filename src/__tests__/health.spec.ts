import { QuantApiError } from '../api';
import {
  circuitLabel,
  circuitTone,
  effectiveOverall,
  formatEta,
  formatTimestamp,
  IUpdateView,
  overallLabel,
  overallTone,
  progressFraction,
  UpdatePoller
} from '../health';
import { createTrans, ZH_CN } from '../i18n';
import type { ISourceHealth, IUpdateJob } from '../models';
import { outcomeMessage } from '../panels/health';

const zh = createTrans('zh', null);
const en = createTrans('en', null);

function source(partial: Partial<ISourceHealth>): ISourceHealth {
  return {
    source: 'eastmoney',
    state: 'closed',
    consecutive_failures: 0,
    successes: 0,
    failures: 0,
    retry_in_s: 0,
    last_success_at: null,
    last_failure_at: null,
    last_error: null,
    ...partial
  };
}

function job(partial: Partial<IUpdateJob>): IUpdateJob {
  return {
    id: 'abc123abc123',
    symbols: ['600519.SH'],
    state: 'running',
    done: 0,
    total: 0,
    symbol: null,
    eta_s: null,
    message: '',
    error: null,
    failed_symbols: [],
    started_at: 0,
    finished_at: null,
    ...partial
  };
}

describe('overall source health', () => {
  it('maps each state to a Chinese label and a tone', () => {
    expect(overallLabel('unknown', zh)).toBe('未使用');
    expect(overallLabel('ok', zh)).toBe('正常');
    expect(overallLabel('degraded', zh)).toBe('部分故障');
    expect(overallLabel('down', zh)).toBe('不可用');
    expect(overallLabel('down', en)).toBe('Down');
    expect(overallTone('unknown')).toBe('neutral');
    expect(overallTone('ok')).toBe('success');
    expect(overallTone('degraded')).toBe('warn');
    expect(overallTone('down')).toBe('error');
    expect(overallTone('surprise')).toBe('neutral');
    expect(overallLabel('surprise', zh)).toBe('surprise');
  });

  it('shows a source whose last call failed as degraded', () => {
    const failed = source({ consecutive_failures: 1, failures: 1 });
    expect(effectiveOverall({ overall: 'ok', items: [failed] })).toBe(
      'degraded'
    );
    expect(
      effectiveOverall({ overall: 'ok', items: [source({ successes: 3 })] })
    ).toBe('ok');
    expect(effectiveOverall({ overall: 'down', items: [failed] })).toBe('down');
    expect(effectiveOverall({ overall: 'unknown', items: [source({})] })).toBe(
      'unknown'
    );
  });

  it('labels circuit states', () => {
    expect(circuitLabel('closed', zh)).toBe('正常');
    expect(circuitLabel('open', zh)).toBe('熔断');
    expect(circuitLabel('half_open', zh)).toBe('半开');
    expect(circuitTone('open', 3, true)).toBe('error');
    expect(circuitTone('half_open', 0, true)).toBe('warn');
    expect(circuitTone('closed', 1, true)).toBe('warn');
    expect(circuitTone('closed', 0, true)).toBe('success');
    expect(circuitTone('closed', 0, false)).toBe('neutral');
  });
});

describe('formatting', () => {
  it('formats the ETA', () => {
    expect(formatEta(null, zh)).toBe('');
    expect(formatEta(undefined, zh)).toBe('');
    expect(formatEta(NaN, zh)).toBe('');
    expect(formatEta(0.2, zh)).toBe('剩余约 0 秒');
    expect(formatEta(42.4, zh)).toBe('剩余约 42 秒');
    expect(formatEta(65, zh)).toBe('剩余约 1 分 05 秒');
    expect(formatEta(3 * 3600 + 7 * 60, zh)).toBe('剩余约 3 小时 07 分');
    expect(formatEta(65, en)).toBe('about 1 min 05 s left');
    expect(formatEta(-3, en)).toBe('about 0 s left');
  });

  it('formats time stamps', () => {
    expect(formatTimestamp(null)).toBe('—');
    expect(formatTimestamp('garbage')).toBe('garbage');
    expect(formatTimestamp('2026-11-26T02:18:46+00:00')).toMatch(
      /^2026-11-2[56] \d\d:18:46$/
    );
  });

  it('computes the progress fraction', () => {
    expect(progressFraction(job({ total: 0 }))).toBeNull();
    expect(progressFraction(job({ done: 1, total: 4 }))).toBe(0.25);
    expect(progressFraction(job({ done: 9, total: 4 }))).toBe(1);
    expect(progressFraction(job({ state: 'failed', total: 0 }))).toBe(1);
  });
});

describe('outcomeMessage', () => {
  it("shows the server's message, error and hint", () => {
    expect(
      outcomeMessage({ phase: 'running', job: job({}), error: null })
    ).toBe(null);
    expect(
      outcomeMessage({
        phase: 'failed',
        job: job({
          state: 'failed',
          message: 'boom',
          error: { error: 'x', message: 'store locked', hint: 'wait' }
        }),
        error: null
      })
    ).toEqual({ text: 'boom\nstore locked', hint: 'wait' });
    expect(
      outcomeMessage({
        phase: 'failed',
        job: null,
        error: { message: '已有数据更新在进行中', hint: '等待其完成后再试' }
      })
    ).toEqual({ text: '已有数据更新在进行中', hint: '等待其完成后再试' });
  });
});

describe('UpdatePoller', () => {
  const describeError = (error: unknown) => ({
    message: (error as Error).message,
    hint: error instanceof QuantApiError ? error.hint : null
  });
  const noSleep = () => Promise.resolve();

  it('starts, polls until done and reports every step', async () => {
    const polls = [
      job({ total: 1, symbol: '600519.SH', eta_s: 3 }),
      job({ state: 'done', done: 1, total: 1, message: 'ok' })
    ];
    const seen: IUpdateView[] = [];
    const sleeps: number[] = [];
    const poller = new UpdatePoller({
      start: () => Promise.resolve(job({})),
      poll: () => Promise.resolve(polls.shift()!),
      describe: describeError,
      onChange: view => seen.push(view),
      sleep: ms => {
        sleeps.push(ms);
        return Promise.resolve();
      }
    });
    const final = await poller.run({ symbols: ['600519.SH'] });
    expect(final?.phase).toBe('done');
    expect(final?.job?.message).toBe('ok');
    expect(seen.map(v => v.phase)).toEqual([
      'starting',
      'running',
      'running',
      'done'
    ]);
    expect(sleeps).toEqual([500, 500]);
    expect(poller.busy).toBe(false);
    poller.reset();
    expect(poller.view.phase).toBe('idle');
  });

  it("ends failed with the server's message when the start is refused (409)", async () => {
    const poller = new UpdatePoller({
      start: () =>
        Promise.reject(
          new QuantApiError(409, 'store_busy', '已有数据更新在进行中', '等待')
        ),
      poll: () => Promise.reject(new Error('not called')),
      describe: describeError,
      onChange: () => undefined,
      sleep: noSleep
    });
    const final = await poller.run({ symbols: ['600519.SH'] });
    expect(final).toEqual({
      phase: 'failed',
      job: null,
      error: { message: '已有数据更新在进行中', hint: '等待' }
    });
  });

  it('tolerates a few failed polls, gives up after too many', async () => {
    let calls = 0;
    const flaky = new UpdatePoller({
      start: () => Promise.resolve(job({})),
      poll: () => {
        calls++;
        return calls < 3
          ? Promise.reject(new Error('network'))
          : Promise.resolve(job({ state: 'failed', message: 'all failed' }));
      },
      describe: describeError,
      onChange: () => undefined,
      sleep: noSleep
    });
    const final = await flaky.run({ symbols: ['600519.SH'] });
    expect(final?.phase).toBe('failed');
    expect(final?.job?.message).toBe('all failed');

    const dead = new UpdatePoller({
      start: () => Promise.resolve(job({})),
      poll: () => Promise.reject(new Error('network')),
      describe: describeError,
      onChange: () => undefined,
      sleep: noSleep,
      maxPollErrors: 3
    });
    const gave = await dead.run({ symbols: ['600519.SH'] });
    expect(gave?.phase).toBe('failed');
    expect(gave?.error?.message).toBe('network');
  });

  it('stops at once when the job is gone (404)', async () => {
    let calls = 0;
    const poller = new UpdatePoller({
      start: () => Promise.resolve(job({})),
      poll: () => {
        calls++;
        return Promise.reject(
          new QuantApiError(404, 'not_found', '没有更新任务', null)
        );
      },
      describe: describeError,
      onChange: () => undefined,
      sleep: noSleep
    });
    const final = await poller.run({ symbols: ['600519.SH'] });
    expect(calls).toBe(1);
    expect(final?.error?.message).toBe('没有更新任务');
  });

  it('refuses a second run while busy and stops when disposed', async () => {
    let release: (j: IUpdateJob) => void = () => undefined;
    const seen: string[] = [];
    const poller = new UpdatePoller({
      start: () => new Promise<IUpdateJob>(resolve => (release = resolve)),
      poll: () => Promise.resolve(job({})),
      describe: describeError,
      onChange: view => seen.push(view.phase),
      sleep: noSleep
    });
    const first = poller.run({ symbols: ['600519.SH'] });
    expect(poller.busy).toBe(true);
    expect(await poller.run({ symbols: ['600519.SH'] })).toBeNull();
    poller.dispose();
    release(job({}));
    expect(await first).toBeNull();
    expect(seen).toEqual(['starting']);
  });
});

// Node's fs in jest (the project has no @types/node).
declare const require: (id: string) => {
  readFileSync(file: string, encoding: string): string;
};
declare const __dirname: string;

describe('translations of the data health UI', () => {
  it('has a zh-CN entry for every literal string', () => {
    const files = [
      '../health.ts',
      '../panels/health.tsx',
      '../panels/market.tsx'
    ];
    const fs = require('fs');
    const missing: string[] = [];
    let found = 0;
    for (const file of files) {
      const text = fs.readFileSync(`${__dirname}/${file}`, 'utf-8');
      for (const match of text.matchAll(/trans\.__\(\s*'((?:[^'\\]|\\.)*)'/g)) {
        found++;
        const msgid = match[1].replace(/\\'/g, "'");
        if (!(msgid in ZH_CN)) {
          missing.push(`${file}: ${msgid}`);
        }
      }
    }
    expect(found).toBeGreaterThan(60);
    expect(missing).toEqual([]);
  });
});
