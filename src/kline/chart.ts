/**
 * The K-line chart: an ECharts instance bound to a host element.
 *
 * Only the ECharts modules the K-line needs are registered, which keeps the
 * bundle small. The host element carries test hooks: `data-rendered`,
 * `data-symbol`, `data-bars`, `data-adjust`, `data-freq` and `data-bucket`
 * are set once ECharts reports the chart finished rendering.
 */
import { BarChart, CandlestickChart, LineChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkPointComponent,
  TooltipComponent
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

import type { IBarsResponse } from '../models';

echarts.use([
  CandlestickChart,
  BarChart,
  LineChart,
  GridComponent,
  DataZoomComponent,
  TooltipComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkPointComponent,
  CanvasRenderer
]);

/** A visible window, as inclusive bar indices. */
export type IndexWindow = [number, number];

export interface IKlineChartOptions {
  /** Called (not debounced) when the user changes the visible window. */
  onWindowChange?: (window: IndexWindow) => void;
}

export class KlineChart {
  constructor(
    readonly host: HTMLElement,
    private readonly _options: IKlineChartOptions = {}
  ) {
    host.dataset.rendered = 'false';
    if (typeof ResizeObserver !== 'undefined') {
      this._resizeObserver = new ResizeObserver(() => this.resize());
      this._resizeObserver.observe(host);
    }
  }

  /** The bars currently drawn (null when the chart is empty). */
  get bars(): IBarsResponse | null {
    return this._bars;
  }

  /** Number of bars in the drawn dataset. */
  get length(): number {
    return this._bars?.data.time.length ?? 0;
  }

  /**
   * Draw `bars` with `option` (replacing everything). The `data-*` hooks are
   * updated when ECharts reports `finished`.
   */
  render(bars: IBarsResponse, option: echarts.EChartsCoreOption): void {
    const chart = this._ensureChart();
    this._bars = bars;
    this._pending = bars;
    this.host.dataset.rendered = 'false';
    chart.setOption(option, { notMerge: true, lazyUpdate: false });
  }

  /** Mark the drawing as out of date (a new request is on its way). */
  markStale(): void {
    this._pending = null;
    this.host.dataset.rendered = 'false';
  }

  /** Move the visible window without a `datazoom` round trip. */
  setWindow(window: IndexWindow): void {
    if (!this._chart) {
      return;
    }
    const [startValue, endValue] = window;
    this._chart.setOption({
      dataZoom: [
        { startValue, endValue },
        { startValue, endValue }
      ]
    });
  }

  /** The visible window as inclusive indices. */
  getWindow(): IndexWindow {
    const n = this.length;
    if (!this._chart || n === 0) {
      return [0, Math.max(0, n - 1)];
    }
    const option = this._chart.getOption() as {
      dataZoom?: {
        startValue?: number;
        endValue?: number;
        start?: number;
        end?: number;
      }[];
    };
    const zoom = option.dataZoom?.[0];
    if (!zoom) {
      return [0, n - 1];
    }
    let start: number;
    let end: number;
    if (
      typeof zoom.startValue === 'number' &&
      typeof zoom.endValue === 'number'
    ) {
      start = zoom.startValue;
      end = zoom.endValue;
    } else {
      start = Math.floor(((zoom.start ?? 0) / 100) * (n - 1));
      end = Math.ceil(((zoom.end ?? 100) / 100) * (n - 1));
    }
    start = Math.max(0, Math.min(n - 1, Math.round(start)));
    end = Math.max(start, Math.min(n - 1, Math.round(end)));
    return [start, end];
  }

  /** Remove the drawing and the rendered state (e.g. on error). */
  clear(): void {
    this._bars = null;
    this._pending = null;
    this._chart?.clear();
    const data = this.host.dataset;
    data.rendered = 'false';
    delete data.symbol;
    delete data.bars;
    delete data.adjust;
    delete data.freq;
    delete data.bucket;
  }

  resize(): void {
    if (
      this._chart &&
      this.host.clientWidth > 0 &&
      this.host.clientHeight > 0
    ) {
      this._chart.resize();
    }
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._resizeObserver?.disconnect();
    this._chart?.dispose();
    this._chart = null;
  }

  private _ensureChart(): echarts.EChartsType {
    if (this._chart) {
      return this._chart;
    }
    const chart = echarts.init(this.host, undefined, { renderer: 'canvas' });
    chart.on('finished', () => this._onFinished());
    chart.on('datazoom', () => {
      this._options.onWindowChange?.(this.getWindow());
    });
    this._chart = chart;
    return chart;
  }

  private _onFinished(): void {
    const bars = this._pending;
    if (!bars) {
      return;
    }
    this._pending = null;
    const data = this.host.dataset;
    data.symbol = bars.symbol;
    data.bars = String(bars.data.time.length);
    data.adjust = bars.adjust;
    data.freq = bars.freq;
    data.bucket = String(bars.bucket);
    data.rendered = 'true';
  }

  private _chart: echarts.EChartsType | null = null;
  private _bars: IBarsResponse | null = null;
  private _pending: IBarsResponse | null = null;
  private _resizeObserver: ResizeObserver | null = null;
  private _disposed = false;
}
