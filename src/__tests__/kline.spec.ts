import { GREEN, RED, SUSPENDED_GREY, trendColors } from '../kline/colors';
import { formatCompact } from '../kline/format';
import {
  buildKlineOption,
  prepareSeries,
  suspendedRuns,
  tooltipHtml
} from '../kline/option';
import { createTrans } from '../i18n';
import { IBarsResponse } from '../models';
import { guessSymbol } from '../symbols';

function bars(): IBarsResponse {
  return {
    symbol: '600519.SH',
    name: '贵州茅台',
    freq: '1d',
    adjust: 'none',
    start: '2024-01-02',
    end: '2024-01-05',
    total: 4,
    bucket: 1,
    columns: ['time', 'open', 'high', 'low', 'close', 'volume', 'suspended'],
    data: {
      time: ['2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05'],
      open: [10, 11, null, 10],
      high: [11.5, 11.2, null, 10.4],
      low: [9.8, 10.1, null, 9.5],
      close: [11, 10.5, null, 10.2],
      volume: [1000, 2000, 0, 1500],
      amount: null,
      preclose: [9.9, 11, 10.5, 10.5],
      suspended: [false, false, true, false]
    }
  };
}

describe('colour convention', () => {
  it('is red-up by default (A-share) and flips for green-up', () => {
    expect(trendColors('red-up')).toEqual({ up: RED, down: GREEN });
    expect(trendColors(undefined)).toEqual({ up: RED, down: GREEN });
    expect(trendColors('green-up')).toEqual({ up: GREEN, down: RED });
  });
});

describe('prepareSeries', () => {
  it('colours volume by direction and greys out suspended days', () => {
    const s = prepareSeries(bars(), trendColors('red-up'));
    expect(s.candles[0].value).toEqual([10, 11, 9.8, 11.5]);
    expect(s.volumes.map(v => v.itemStyle.color)).toEqual([
      RED,
      GREEN,
      SUSPENDED_GREY,
      // Candle colour follows close vs open (10.2 > 10), as the candle does.
      RED
    ]);
    // The suspended day is a flat candle at its preclose.
    expect(s.candles[2].value).toEqual([10.5, 10.5, 10.5, 10.5]);
    expect(s.candles[2].itemStyle?.color).toBe(SUSPENDED_GREY);
    expect(s.suspended).toEqual([false, false, true, false]);
  });

  it('follows the green-up convention', () => {
    const s = prepareSeries(bars(), trendColors('green-up'));
    expect(s.volumes[0].itemStyle.color).toBe(GREEN);
  });

  it('finds suspended runs', () => {
    expect(suspendedRuns([false, true, true, false, true])).toEqual([
      [1, 2],
      [4, 4]
    ]);
    expect(suspendedRuns([])).toEqual([]);
  });
});

describe('buildKlineOption', () => {
  it('has candles, MA lines, volume and a linked zoom', () => {
    const b = bars();
    const colors = trendColors('red-up');
    const option = buildKlineOption({
      bars: b,
      series: prepareSeries(b, colors),
      colors,
      theme: {
        background: '#111',
        panel: '#222',
        text: '#eee',
        textMuted: '#aaa',
        border: '#444',
        grid: '#333',
        accent: '#1976d2',
        fontFamily: 'sans-serif'
      },
      trans: createTrans('zh', null),
      window: [1, 3]
    }) as {
      series: { type: string; name: string }[];
      dataZoom: { type: string; startValue: number; endValue: number }[];
    };
    expect(option.series.map(s => s.type)).toEqual([
      'candlestick',
      'line',
      'line',
      'line',
      'line',
      'bar'
    ]);
    expect(option.series.map(s => s.name)).toEqual([
      'K线',
      'MA5',
      'MA10',
      'MA20',
      'MA60',
      '成交量'
    ]);
    expect(
      option.dataZoom.map(z => [z.type, z.startValue, z.endValue])
    ).toEqual([
      ['inside', 1, 3],
      ['slider', 1, 3]
    ]);
  });

  it('notes 停牌 in the tooltip of a suspended day', () => {
    const b = bars();
    const colors = trendColors('red-up');
    const input = {
      bars: b,
      series: prepareSeries(b, colors),
      colors,
      trans: createTrans('zh', null)
    };
    expect(tooltipHtml(2, input)).toContain('停牌');
    expect(tooltipHtml(1, input)).not.toContain('停牌');
    expect(tooltipHtml(1, input)).toContain('-4.55%');
  });
});

describe('formatting and symbols', () => {
  it('formats volumes with 万/亿 in Chinese and K/M in English', () => {
    expect(formatCompact(123456789, 'zh')).toBe('1.23亿');
    expect(formatCompact(25000, 'zh')).toBe('2.5万');
    expect(formatCompact(25000, 'en')).toBe('25K');
    expect(formatCompact(null, 'en')).toBe('-');
  });

  it('guesses the exchange of a bare code', () => {
    expect(guessSymbol('600519')).toBe('600519.SH');
    expect(guessSymbol('000001')).toBe('000001.SZ');
    expect(guessSymbol('300750')).toBe('300750.SZ');
    expect(guessSymbol('920799')).toBe('920799.BJ');
    expect(guessSymbol(' 600519.sh ')).toBe('600519.SH');
    expect(guessSymbol('au0.shfe')).toBe('AU0.SHFE');
    expect(guessSymbol('茅台')).toBeNull();
    expect(guessSymbol('60051')).toBeNull();
  });
});
