/**
 * Build the ECharts option of the K-line from a bars response.
 *
 * Pure: no ECharts import at runtime, so the mapping is unit-testable.
 */
import type { EChartsCoreOption } from 'echarts/core';

import type { ITrans } from '../i18n';
import type { IBarsResponse } from '../models';
import {
  IThemeColors,
  ITrendColors,
  MA_COLORS,
  SUSPENDED_GREY
} from './colors';
import {
  escapeHtml,
  formatCompact,
  formatPercent,
  formatPrice
} from './format';
import { MA_PERIODS, movingAverage, percentChange } from './indicators';

/** Candlestick value: `[open, close, low, high]` (ECharts order). */
export type CandleValue = [number, number, number, number];

export interface ICandleItem {
  value: CandleValue | ['-', '-', '-', '-'];
  itemStyle?: Record<string, string>;
}

export interface IVolumeItem {
  value: number | '-';
  itemStyle: { color: string };
}

/** The bars of one response, prepared for drawing. */
export interface IKlineSeries {
  times: string[];
  candles: ICandleItem[];
  volumes: IVolumeItem[];
  ma: { period: number; values: (number | null)[] }[];
  suspended: boolean[];
  /** Reference price of each bar (preclose, else previous close). */
  reference: (number | null)[];
}

/**
 * Turn response columns into candle/volume items.
 *
 * A suspended bar (停牌) is drawn as a flat grey candle at its reference
 * price (preclose, else the previous close) with a grey volume bar.
 */
export function prepareSeries(
  bars: IBarsResponse,
  colors: ITrendColors
): IKlineSeries {
  const d = bars.data;
  const n = d.time.length;
  const suspendedCol = d.suspended ?? [];
  const precloseCol = d.preclose ?? [];
  const candles: ICandleItem[] = [];
  const volumes: IVolumeItem[] = [];
  const suspended: boolean[] = [];
  const reference: (number | null)[] = [];
  let previousClose: number | null = null;

  for (let i = 0; i < n; i++) {
    const isSuspended = suspendedCol[i] === true;
    const open = d.open[i];
    const high = d.high[i];
    const low = d.low[i];
    const close = d.close[i];
    const preclose = precloseCol[i];
    const ref = isNum(preclose) ? preclose : previousClose;
    suspended.push(isSuspended);
    reference.push(ref);

    if (isSuspended) {
      const level = isNum(close) ? close : ref;
      candles.push({
        value: isNum(level)
          ? [level, level, level, level]
          : ['-', '-', '-', '-'],
        itemStyle: {
          color: SUSPENDED_GREY,
          color0: SUSPENDED_GREY,
          borderColor: SUSPENDED_GREY,
          borderColor0: SUSPENDED_GREY,
          opacity: '0.8'
        }
      });
      volumes.push({
        value: isNum(d.volume[i]) ? (d.volume[i] as number) : 0,
        itemStyle: { color: SUSPENDED_GREY }
      });
    } else if (isNum(open) && isNum(close) && isNum(low) && isNum(high)) {
      candles.push({ value: [open, close, low, high] });
      const rising =
        close > open || (close === open && isNum(ref) && close >= ref);
      volumes.push({
        value: isNum(d.volume[i]) ? (d.volume[i] as number) : '-',
        itemStyle: { color: rising ? colors.up : colors.down }
      });
    } else {
      candles.push({ value: ['-', '-', '-', '-'] });
      volumes.push({ value: '-', itemStyle: { color: SUSPENDED_GREY } });
    }
    if (isNum(close) && !isSuspended) {
      previousClose = close;
    }
  }
  const ma = MA_PERIODS.map(period => ({
    period,
    values: movingAverage(d.close, period, suspendedCol)
  }));
  return { times: d.time.slice(), candles, volumes, ma, suspended, reference };
}

export interface IKlineOptionInput {
  bars: IBarsResponse;
  series: IKlineSeries;
  colors: ITrendColors;
  theme: IThemeColors;
  trans: ITrans;
  /** Initial visible window, as indices (inclusive). */
  window: [number, number];
}

/** The full ECharts option (used with `notMerge`). */
export function buildKlineOption(input: IKlineOptionInput): EChartsCoreOption {
  const { series, colors, theme, trans, window } = input;
  const kName = trans.__('K-line');
  const volumeName = trans.__('Volume');
  const maNames = series.ma.map(m => `MA${m.period}`);
  const axisLabel = { color: theme.textMuted, fontFamily: theme.fontFamily };
  const axisLine = { lineStyle: { color: theme.border } };
  const left = 64;
  const right = 24;

  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { fontFamily: theme.fontFamily, color: theme.text },
    legend: {
      top: 4,
      left: left,
      data: [kName, ...maNames],
      textStyle: { color: theme.text },
      inactiveColor: theme.grid
    },
    axisPointer: {
      link: [{ xAxisIndex: 'all' }],
      label: { backgroundColor: theme.textMuted }
    },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'cross' },
      backgroundColor: theme.background,
      borderColor: theme.border,
      textStyle: { color: theme.text, fontSize: 12 },
      confine: true,
      formatter: (params: unknown) => tooltipHtml(firstDataIndex(params), input)
    },
    grid: [
      { left, right, top: 36, bottom: '30%' },
      { left, right, top: '74%', bottom: 56 }
    ],
    xAxis: [
      {
        type: 'category',
        data: series.times,
        boundaryGap: true,
        axisLine,
        axisLabel,
        axisTick: { show: false },
        splitLine: { show: false },
        min: 'dataMin',
        max: 'dataMax'
      },
      {
        type: 'category',
        gridIndex: 1,
        data: series.times,
        boundaryGap: true,
        axisLine,
        axisTick: { show: false },
        axisLabel: { show: false },
        splitLine: { show: false },
        min: 'dataMin',
        max: 'dataMax'
      }
    ],
    yAxis: [
      {
        scale: true,
        axisLine,
        axisLabel,
        splitLine: { lineStyle: { color: theme.grid } }
      },
      {
        scale: true,
        gridIndex: 1,
        splitNumber: 2,
        axisLine,
        axisTick: { show: false },
        axisLabel: {
          ...axisLabel,
          formatter: (value: number) => formatCompact(value, trans.language)
        },
        splitLine: { show: false }
      }
    ],
    dataZoom: [
      {
        type: 'inside',
        xAxisIndex: [0, 1],
        startValue: window[0],
        endValue: window[1],
        minValueSpan: 10
      },
      {
        type: 'slider',
        xAxisIndex: [0, 1],
        startValue: window[0],
        endValue: window[1],
        minValueSpan: 10,
        bottom: 10,
        height: 24,
        borderColor: theme.border,
        backgroundColor: 'transparent',
        fillerColor: withAlpha(theme.accent, 0.15),
        dataBackground: {
          lineStyle: { color: theme.textMuted },
          areaStyle: { color: theme.grid }
        },
        handleStyle: { color: theme.background, borderColor: theme.accent },
        moveHandleStyle: { color: theme.accent },
        textStyle: { color: theme.textMuted }
      }
    ],
    series: [
      {
        name: kName,
        type: 'candlestick',
        data: series.candles,
        large: false,
        barMaxWidth: 16,
        itemStyle: {
          color: colors.up,
          color0: colors.down,
          borderColor: colors.up,
          borderColor0: colors.down
        },
        markArea: suspendedMarkArea(series, trans, theme)
      },
      ...series.ma.map((m, i) => ({
        name: maNames[i],
        type: 'line',
        data: m.values.map(v => (v === null ? '-' : v)),
        showSymbol: false,
        connectNulls: true,
        smooth: false,
        lineStyle: { width: 1, color: MA_COLORS[i % MA_COLORS.length] },
        itemStyle: { color: MA_COLORS[i % MA_COLORS.length] },
        emphasis: { disabled: true }
      })),
      {
        name: volumeName,
        type: 'bar',
        xAxisIndex: 1,
        yAxisIndex: 1,
        data: series.volumes,
        barMaxWidth: 16,
        large: false
      }
    ]
  };
}

/** HTML of the axis tooltip for bar `index`. */
export function tooltipHtml(
  index: number | null,
  input: Pick<IKlineOptionInput, 'bars' | 'series' | 'trans' | 'colors'>
): string {
  const { bars, series, trans, colors } = input;
  if (index === null || index < 0 || index >= series.times.length) {
    return '';
  }
  const d = bars.data;
  const rows: string[] = [];
  const time = escapeHtml(series.times[index]);
  const title = `<div class="jp-QuantMarket-tipTitle"><b>${time}</b>${
    series.suspended[index]
      ? ` <span style="color:${SUSPENDED_GREY}">· ${escapeHtml(trans.__('Suspended'))}</span>`
      : ''
  }</div>`;
  const change = percentChange(d.close[index], series.reference[index]);
  const changeColor =
    change === null || change === 0
      ? 'inherit'
      : change > 0
        ? colors.up
        : colors.down;
  const row = (label: string, value: string, color = 'inherit') =>
    `<tr><td>${escapeHtml(label)}</td><td style="text-align:right;color:${color}">${value}</td></tr>`;
  if (series.suspended[index]) {
    rows.push(row(trans.__('Close'), formatPrice(series.reference[index])));
  } else {
    rows.push(row(trans.__('Open'), formatPrice(d.open[index])));
    rows.push(row(trans.__('High'), formatPrice(d.high[index])));
    rows.push(row(trans.__('Low'), formatPrice(d.low[index])));
    rows.push(row(trans.__('Close'), formatPrice(d.close[index]), changeColor));
    rows.push(row(trans.__('Change'), formatPercent(change), changeColor));
  }
  rows.push(
    row(trans.__('Volume'), formatCompact(d.volume[index], trans.language))
  );
  const amount = d.amount?.[index];
  if (amount !== null && amount !== undefined) {
    rows.push(row(trans.__('Amount'), formatCompact(amount, trans.language)));
  }
  for (const m of series.ma) {
    const v = m.values[index];
    if (v !== null) {
      rows.push(row(`MA${m.period}`, formatPrice(v)));
    }
  }
  const merged =
    bars.bucket > 1
      ? `<div style="opacity:0.7">${escapeHtml(trans.__('Merged from %1 bars', bars.bucket))}</div>`
      : '';
  return `${title}<table class="jp-QuantMarket-tipTable">${rows.join('')}</table>${merged}`;
}

/** Contiguous runs of suspended bars, as `[first, last]` indices. */
export function suspendedRuns(
  suspended: readonly boolean[]
): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= suspended.length; i++) {
    if (i < suspended.length && suspended[i]) {
      if (start < 0) {
        start = i;
      }
    } else if (start >= 0) {
      runs.push([start, i - 1]);
      start = -1;
    }
  }
  return runs;
}

/** Grey bands behind suspended stretches (停牌), labelled when wide enough. */
function suspendedMarkArea(
  series: IKlineSeries,
  trans: ITrans,
  theme: IThemeColors
): Record<string, unknown> | undefined {
  const runs = suspendedRuns(series.suspended);
  if (runs.length === 0) {
    return undefined;
  }
  const label = trans.__('Suspended');
  return {
    silent: true,
    itemStyle: { color: withAlpha(SUSPENDED_GREY, 0.18) },
    label: { color: theme.textMuted, fontSize: 10, position: 'insideTop' },
    data: runs.map(([a, b]) => [
      {
        xAxis: series.times[a],
        name: b - a + 1 >= 10 ? label : '',
        label: { show: b - a + 1 >= 10 }
      },
      { xAxis: series.times[b] }
    ])
  };
}

function firstDataIndex(params: unknown): number | null {
  const list = Array.isArray(params) ? params : [params];
  for (const p of list) {
    const index = (p as { dataIndex?: unknown } | null)?.dataIndex;
    if (typeof index === 'number') {
      return index;
    }
  }
  return null;
}

function isNum(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** `#rrggbb` plus alpha → `rgba()`; other colour syntaxes are returned as is. */
export function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color.trim());
  if (!m) {
    return color;
  }
  const n = parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
