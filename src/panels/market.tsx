/**
 * The market data panel (行情): symbol search and a K-line with volume,
 * moving averages, zoom, adjustment and frequency switches.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { IThemeManager } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { QuantClient } from '../api';
import type { QuantConfig } from '../config';
import { describeError, IShownError } from '../errors';
import { IDLE_UPDATE, IUpdateView, UpdatePoller } from '../health';
import type { ITrans } from '../i18n';
import { KlineChart, IndexWindow } from '../kline/chart';
import { readThemeColors, trendColors } from '../kline/colors';
import { formatInteger } from '../kline/format';
import { buildKlineOption, IKlineSeries, prepareSeries } from '../kline/option';
import {
  ceilIndex,
  datePart,
  defaultWindow,
  expandWindow,
  planZoom,
  windowForRange
} from '../kline/zoom';
import {
  Adjust,
  ADJUSTS,
  Freq,
  IBarsResponse,
  IStatusResponse,
  ISymbolInfo,
  PANEL_FREQS
} from '../models';
import { guessSymbol } from '../symbols';
import { CheckFindings, SourceBadge, UpdateProgress } from './health';

/** Debounce of the symbol search, in ms. */
export const SEARCH_DEBOUNCE_MS = 250;
/** Debounce of the detail fetch after zooming, in ms. */
export const ZOOM_DEBOUNCE_MS = 300;
/** Bars visible when a symbol is first shown. */
export const DEFAULT_VISIBLE_BARS: Record<Freq, number> = {
  '1d': 250,
  '1m': 240,
  '5m': 240
};
const SEARCH_LIMIT = 20;

/** Views created so far (unique element ids). */
let viewCount = 0;

/** A symbol shown in the panel. */
export interface ISelectedSymbol {
  symbol: string;
  name: string;
}

/** Label of an adjustment (translated literals, for the string extractor). */
export function adjustLabel(adjust: Adjust, trans: ITrans): string {
  switch (adjust) {
    case 'qfq':
      return trans.__('Forward adjusted');
    case 'hfq':
      return trans.__('Backward adjusted');
    default:
      return trans.__('Unadjusted');
  }
}

/** Label of a bar frequency. */
export function freqLabel(freq: Freq, trans: ITrans): string {
  switch (freq) {
    case '1m':
      return trans.__('1 minute');
    case '5m':
      return trans.__('5 minutes');
    default:
      return trans.__('Daily');
  }
}

/** Label of an instrument kind (unknown kinds are shown as sent). */
export function kindLabel(kind: string, trans: ITrans): string {
  switch (kind) {
    case 'stock':
      return trans.__('Stock');
    case 'index':
      return trans.__('Index');
    case 'etf':
      return trans.__('ETF');
    case 'futures':
      return trans.__('Futures');
    default:
      return kind;
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** One level of detail: a bars response and its drawable series. */
interface IView {
  bars: IBarsResponse;
  series: IKlineSeries;
  /** Requested range (`undefined`: from the first / up to the last bar). */
  start?: string;
  end?: string;
}

interface IMarketViewProps {
  client: QuantClient;
  config: QuantConfig;
  /** Bumped when settings or the translator change. */
  revision: number;
  /** Bumped when the JupyterLab theme changes. */
  themeRevision: number;
  initialSymbol: string | null;
  onSymbolChange: (selected: ISelectedSymbol) => void;
  /** Whether the panel is visible (background refreshes pause while hidden). */
  isVisible?: () => boolean;
}

interface IMarketViewState {
  query: string;
  results: ISymbolInfo[] | null;
  resultsFor: string | null;
  searching: boolean;
  searchError: string | null;
  active: number;
  listOpen: boolean;
  selected: ISelectedSymbol | null;
  adjust: Adjust;
  freq: Freq;
  loading: boolean;
  loadingDetail: boolean;
  error: IShownError | null;
  shown: IBarsResponse | null;
  status: IStatusResponse | null;
  /** The data update of this panel (progress, outcome). */
  update: IUpdateView;
  /** Bumped to refresh the source-health badge. */
  sourcesKey: number;
  checking: boolean;
}

/** The React view of the panel. */
export class MarketView extends React.Component<
  IMarketViewProps,
  IMarketViewState
> {
  constructor(props: IMarketViewProps) {
    super(props);
    this.state = {
      query: '',
      results: null,
      resultsFor: null,
      searching: false,
      searchError: null,
      active: 0,
      listOpen: false,
      selected: null,
      adjust: 'none',
      freq: '1d',
      loading: false,
      loadingDetail: false,
      error: null,
      shown: null,
      status: null,
      update: IDLE_UPDATE,
      sourcesKey: 0,
      checking: false
    };
    this._updater = new UpdatePoller({
      start: request => this.props.client.startUpdate(request),
      poll: id => this.props.client.updateJob(id),
      describe: error => describeError(error, this.props.config.trans),
      onChange: update => {
        if (!this._disposed) {
          this.setState({ update });
        }
      }
    });
  }

  componentDidMount(): void {
    const host = this._hostRef.current;
    if (host) {
      this._chart = new KlineChart(host, {
        onWindowChange: () => this._scheduleZoom()
      });
    }
    void this._loadStatus();
    const initial = this.props.initialSymbol?.trim();
    if (initial) {
      void this._loadSymbol(guessSymbol(initial) ?? initial, null);
    }
  }

  componentDidUpdate(prevProps: IMarketViewProps): void {
    if (prevProps.revision !== this.props.revision) {
      const maxPoints = this.props.config.settings.maxPoints;
      if (maxPoints !== this._loadedMaxPoints && this.state.selected) {
        void this._loadSymbol(
          this.state.selected.symbol,
          this.state.selected.name,
          this._visibleRange()
        );
        return;
      }
      this._redraw();
    } else if (prevProps.themeRevision !== this.props.themeRevision) {
      this._redraw();
    }
  }

  componentWillUnmount(): void {
    this._disposed = true;
    this._updater.dispose();
    window.clearTimeout(this._searchTimer);
    window.clearTimeout(this._zoomTimer);
    this._searchAbort?.abort();
    this._barsAbort?.abort();
    this._detailAbort?.abort();
    this._chart?.dispose();
    this._chart = null;
  }

  render(): React.ReactNode {
    const trans = this.props.config.trans;
    const { selected, error, loading } = this.state;
    return (
      <div className="jp-QuantMarket">
        <div className="jp-QuantMarket-toolbar">
          {this._renderSearch(trans)}
          {this._renderSwitch(
            trans.__('Adjust'),
            'adjust',
            ADJUSTS,
            this.state.adjust,
            a => adjustLabel(a, trans),
            a => this._setAdjust(a)
          )}
          {this._renderSwitch(
            trans.__('Frequency'),
            'freq',
            PANEL_FREQS,
            this.state.freq,
            f => freqLabel(f, trans),
            f => this._setFreq(f)
          )}
          {this._renderActions(trans)}
        </div>
        <UpdateProgress
          view={this.state.update}
          trans={trans}
          onDismiss={() => this._updater.reset()}
        />
        {this._renderStatusLine(trans)}
        <div className="jp-QuantMarket-chartArea">
          <div
            ref={this._hostRef}
            className="jp-QuantMarket-chart"
            data-testid="quant-kline"
          />
          {error && (
            <div
              className="jp-QuantMarket-error"
              data-testid="quant-market-error"
              role="alert"
            >
              <div className="jp-QuantMarket-errorMessage">{error.message}</div>
              {error.hint && (
                <div className="jp-QuantMarket-errorHint">
                  {trans.__('What to do: %1', error.hint)}
                </div>
              )}
              {selected && (
                <button
                  className="jp-mod-styled jp-QuantMarket-retry"
                  onClick={() =>
                    void this._loadSymbol(selected.symbol, selected.name)
                  }
                >
                  {trans.__('Retry')}
                </button>
              )}
            </div>
          )}
          {!error && !selected && !loading && this._renderEmpty(trans)}
          {loading && (
            <div className="jp-QuantMarket-overlay" aria-live="polite">
              {trans.__('Loading %1…', selected?.symbol ?? '')}
            </div>
          )}
        </div>
      </div>
    );
  }

  // ---- rendering helpers -------------------------------------------------

  private _renderSearch(trans: ITrans): React.ReactNode {
    const { query, resultsFor, searchError, listOpen } = this.state;
    // Only show results for the text as typed now: stale ones are hidden
    // (shown as "Searching…") until the debounced search answers.
    const fresh = resultsFor === query;
    const results = fresh ? this.state.results : null;
    const searching = this.state.searching || !fresh;
    const showList = listOpen && (results !== null || searching);
    const listId = `${this._uid}-results`;
    let body: React.ReactNode = null;
    if (searchError && fresh) {
      body = (
        <li className="jp-QuantMarket-resultNote jp-mod-error">
          {searchError}
        </li>
      );
    } else if (results && results.length > 0) {
      body = results.map((item, i) => (
        <li
          key={item.symbol}
          id={`${this._uid}-opt-${i}`}
          role="option"
          aria-selected={i === this.state.active}
          className={
            'jp-QuantMarket-result' +
            (i === this.state.active ? ' jp-mod-active' : '')
          }
          data-testid="quant-market-result"
          data-symbol={item.symbol}
          onMouseDown={e => e.preventDefault()}
          onMouseEnter={() => this.setState({ active: i })}
          onClick={() => this._select(item)}
        >
          <span className="jp-QuantMarket-resultCode">{item.symbol}</span>
          <span className="jp-QuantMarket-resultName">{item.name}</span>
          <span className="jp-QuantMarket-resultKind">
            {kindLabel(item.kind, trans)}
          </span>
        </li>
      ));
    } else if (searching) {
      body = (
        <li className="jp-QuantMarket-resultNote">{trans.__('Searching…')}</li>
      );
    } else if (results && results.length === 0) {
      const guess = guessSymbol(query);
      body = (
        <li
          className="jp-QuantMarket-resultNote"
          data-testid="quant-market-noresults"
        >
          {trans.__('No symbol matches “%1”.', resultsFor ?? query)}
          {guess && (
            <span className="jp-QuantMarket-resultHint">
              {' '}
              {trans.__('Press Enter to try “%1” directly.', guess)}
            </span>
          )}
        </li>
      );
    }
    return (
      <div className="jp-QuantMarket-search">
        <input
          className="jp-mod-styled jp-QuantMarket-searchInput"
          data-testid="quant-market-search"
          type="search"
          role="combobox"
          aria-label={trans.__('Symbol search')}
          aria-expanded={showList}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={
            showList && results && results.length > 0
              ? `${this._uid}-opt-${this.state.active}`
              : undefined
          }
          autoComplete="off"
          spellCheck={false}
          placeholder={trans.__('Search code or name')}
          value={query}
          onChange={this._onQueryChange}
          onKeyDown={this._onQueryKeyDown}
          onFocus={this._onQueryFocus}
          onBlur={() => this.setState({ listOpen: false })}
        />
        {showList && (
          <ul id={listId} role="listbox" className="jp-QuantMarket-results">
            {body}
          </ul>
        )}
      </div>
    );
  }

  private _renderSwitch<T extends string>(
    label: string,
    key: string,
    values: readonly T[],
    current: T,
    text: (value: T) => string,
    onSelect: (value: T) => void
  ): React.ReactNode {
    return (
      <div className="jp-QuantMarket-switch" role="group" aria-label={label}>
        {values.map(value => (
          <button
            key={value}
            type="button"
            className={
              'jp-QuantMarket-switchButton' +
              (value === current ? ' jp-mod-active' : '')
            }
            aria-pressed={value === current}
            data-testid={`quant-market-${key}-${value}`}
            onClick={() => onSelect(value)}
          >
            {text(value)}
          </button>
        ))}
      </div>
    );
  }

  private _renderActions(trans: ITrans): React.ReactNode {
    const { selected, update, checking } = this.state;
    const running = update.phase === 'starting' || update.phase === 'running';
    return (
      <div className="jp-QuantMarket-actions">
        <button
          type="button"
          className="jp-mod-styled jp-QuantMarket-action"
          data-testid="quant-update-button"
          disabled={!selected || running}
          title={
            selected
              ? trans.__(
                  'Fetch the missing bars of %1 from the data sources',
                  selected.symbol
                )
              : trans.__('Pick a symbol first')
          }
          onClick={() => void this._startUpdate()}
        >
          {running ? trans.__('Updating…') : trans.__('Update data')}
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-QuantMarket-action"
          data-testid="quant-check-button"
          disabled={!selected || checking}
          title={trans.__('Check the stored bars of the symbol for problems')}
          onClick={() => void this._runCheck()}
        >
          {checking ? trans.__('Checking…') : trans.__('Data check')}
        </button>
        <SourceBadge
          client={this.props.client}
          trans={trans}
          refreshKey={this.state.sourcesKey}
          isVisible={this.props.isVisible ?? (() => true)}
          describe={error => describeError(error, trans)}
        />
      </div>
    );
  }

  private _renderStatusLine(trans: ITrans): React.ReactNode {
    const { shown, selected, loadingDetail } = this.state;
    if (!shown || !selected) {
      return <div className="jp-QuantMarket-statusLine" />;
    }
    const parts = [
      freqLabel(shown.freq, trans),
      adjustLabel(shown.adjust, trans),
      trans.__('%1 to %2', datePart(shown.start), datePart(shown.end)),
      trans.__('%1 bars', formatInteger(shown.total))
    ];
    return (
      <div
        className="jp-QuantMarket-statusLine"
        data-testid="quant-market-status"
      >
        <span className="jp-QuantMarket-title">
          {selected.name && selected.name !== selected.symbol
            ? `${selected.name} ${selected.symbol}`
            : selected.symbol}
        </span>
        <span className="jp-QuantMarket-meta">{parts.join(' · ')}</span>
        <span className="jp-QuantMarket-detail">
          {loadingDetail
            ? trans.__('Loading detail…')
            : shown.bucket > 1
              ? trans.__(
                  'each bar merges %1 bars, zoom in for full detail',
                  shown.bucket
                )
              : trans.__('full detail')}
        </span>
      </div>
    );
  }

  private _renderEmpty(trans: ITrans): React.ReactNode {
    const status = this.state.status;
    return (
      <div className="jp-QuantMarket-overlay jp-QuantMarket-empty">
        <p>
          {trans.__(
            'Type a code (600519) or a name (茅台) to show its K-line.'
          )}
        </p>
        {status && (
          <ul className="jp-QuantMarket-datasets">
            {status.datasets.map(ds => (
              <li key={ds.name}>
                {trans.__(
                  '%1: %2 rows, %3 to %4',
                  ds.name,
                  formatInteger(ds.rows),
                  ds.first ?? '-',
                  ds.last ?? '-'
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }

  // ---- search ---------------------------------------------------------------

  private _onQueryChange = (
    event: React.ChangeEvent<HTMLInputElement>
  ): void => {
    const query = event.target.value;
    this.setState({ query, listOpen: true });
    window.clearTimeout(this._searchTimer);
    this._searchTimer = window.setTimeout(() => {
      void this._search(query);
    }, SEARCH_DEBOUNCE_MS);
  };

  private _onQueryFocus = (): void => {
    this.setState({ listOpen: true });
    if (this.state.resultsFor !== this.state.query && !this.state.searching) {
      void this._search(this.state.query);
    }
  };

  private _onQueryKeyDown = (
    event: React.KeyboardEvent<HTMLInputElement>
  ): void => {
    const results = this.state.results ?? [];
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        this.setState({
          listOpen: true,
          active: results.length ? (this.state.active + 1) % results.length : 0
        });
        break;
      case 'ArrowUp':
        event.preventDefault();
        this.setState({
          listOpen: true,
          active: results.length
            ? (this.state.active - 1 + results.length) % results.length
            : 0
        });
        break;
      case 'Enter':
        event.preventDefault();
        void this._submit();
        break;
      case 'Escape':
        this.setState({ listOpen: false });
        break;
      default:
        break;
    }
  };

  /** Search `query` now; resolves to the results (empty on failure). */
  private async _search(query: string): Promise<ISymbolInfo[]> {
    window.clearTimeout(this._searchTimer);
    this._searchAbort?.abort();
    const abort = new AbortController();
    this._searchAbort = abort;
    this.setState({ searching: true });
    try {
      const response = await this.props.client.symbols(
        query.trim(),
        { limit: SEARCH_LIMIT },
        { signal: abort.signal }
      );
      if (this._disposed || abort.signal.aborted) {
        return [];
      }
      this.setState({
        results: response.items,
        resultsFor: query,
        searching: false,
        searchError: null,
        active: 0
      });
      return response.items;
    } catch (error) {
      if (isAbort(error) || this._disposed) {
        return [];
      }
      this.setState({
        results: [],
        resultsFor: query,
        searching: false,
        searchError: describeError(error, this.props.config.trans).message
      });
      return [];
    }
  }

  /** Enter: pick the highlighted result, or try the input as a symbol. */
  private async _submit(): Promise<void> {
    const query = this.state.query;
    let results = this.state.results ?? [];
    if (this.state.resultsFor !== query || this.state.searching) {
      results = await this._search(query);
    }
    if (results.length > 0) {
      this._select(results[Math.min(this.state.active, results.length - 1)]);
      return;
    }
    const guess = guessSymbol(query);
    if (guess) {
      this.setState({ listOpen: false });
      await this._loadSymbol(guess, null);
    }
  }

  private _select(item: ISymbolInfo): void {
    const text = `${item.code} ${item.name}`;
    window.clearTimeout(this._searchTimer);
    this._searchAbort?.abort();
    // The input now shows the pick; focusing it again lists just that symbol.
    this.setState({
      listOpen: false,
      query: text,
      results: [item],
      resultsFor: text,
      searching: false,
      searchError: null,
      active: 0
    });
    void this._loadSymbol(item.symbol, item.name);
  }

  // ---- switches -------------------------------------------------------------

  private _setAdjust(adjust: Adjust): void {
    if (adjust === this.state.adjust) {
      return;
    }
    const range = this._visibleRange();
    this.setState({ adjust }, () => {
      const selected = this.state.selected;
      if (selected) {
        void this._loadSymbol(selected.symbol, selected.name, range);
      }
    });
  }

  private _setFreq(freq: Freq): void {
    if (freq === this.state.freq) {
      return;
    }
    this.setState({ freq }, () => {
      const selected = this.state.selected;
      if (selected) {
        void this._loadSymbol(selected.symbol, selected.name);
      }
    });
  }

  // ---- update & check ---------------------------------------------------------

  /** Update the current symbol's bars in the background, with progress. */
  private async _startUpdate(): Promise<void> {
    const selected = this.state.selected;
    if (!selected || this._updater.busy) {
      return;
    }
    const final = await this._updater.run({ symbols: [selected.symbol] });
    if (!final || this._disposed) {
      return;
    }
    this.setState(state => ({ sourcesKey: state.sourcesKey + 1 }));
    const current = this.state.selected;
    if (
      final.job &&
      final.phase === 'done' &&
      current &&
      final.job.symbols.includes(current.symbol)
    ) {
      await this._loadSymbol(current.symbol, current.name);
    }
  }

  /** Run the data health checks of the current symbol and list the findings. */
  private async _runCheck(): Promise<void> {
    const selected = this.state.selected;
    if (!selected) {
      return;
    }
    const trans = this.props.config.trans;
    this.setState({ checking: true });
    let body: React.ReactElement;
    try {
      const result = await this.props.client.check([selected.symbol]);
      body = (
        <CheckFindings result={result} symbol={selected.symbol} trans={trans} />
      );
    } catch (error) {
      const shown = describeError(error, trans);
      body = (
        <div className="jp-QuantCheck" data-testid="quant-check-findings">
          <p className="jp-QuantUpdate-message">{shown.message}</p>
          {shown.hint && <p>{trans.__('What to do: %1', shown.hint)}</p>}
        </div>
      );
    } finally {
      if (!this._disposed) {
        this.setState({ checking: false });
      }
    }
    if (this._disposed) {
      return;
    }
    await showDialog({
      title: trans.__('Data check · %1', selected.symbol),
      body,
      buttons: [Dialog.okButton({ label: trans.__('Dismiss') })]
    });
  }

  // ---- data -----------------------------------------------------------------

  private async _loadStatus(): Promise<void> {
    try {
      const status = await this.props.client.status();
      if (!this._disposed) {
        this.setState({ status });
      }
    } catch (error) {
      // Only worth showing when nothing else is on screen.
      if (!this._disposed && !this.state.selected && !this.state.error) {
        this.setState({ error: describeError(error, this.props.config.trans) });
      }
    }
  }

  /**
   * Load the whole history of `symbol` (bucketed by the server when longer
   * than `maxPoints`), optionally keeping the visible time range.
   */
  private async _loadSymbol(
    symbol: string,
    name: string | null,
    keepRange: [string, string] | null = null
  ): Promise<void> {
    const seq = ++this._loadSeq;
    this._barsAbort?.abort();
    this._detailAbort?.abort();
    window.clearTimeout(this._zoomTimer);
    const abort = new AbortController();
    this._barsAbort = abort;
    const { adjust, freq } = this.state;
    const maxPoints = this.props.config.settings.maxPoints;
    this._chart?.markStale();
    this.setState({
      loading: true,
      loadingDetail: false,
      error: null,
      selected: { symbol, name: name ?? symbol }
    });
    try {
      const bars = await this.props.client.bars(
        { symbol, adjust, freq, max_points: maxPoints },
        { signal: abort.signal }
      );
      if (this._disposed || seq !== this._loadSeq) {
        return;
      }
      this._loadedMaxPoints = maxPoints;
      const selected = {
        symbol: bars.symbol,
        name: bars.name || name || bars.symbol
      };
      if (bars.data.time.length === 0) {
        this._views = [];
        this._chart?.clear();
        this.setState({
          loading: false,
          shown: null,
          selected,
          error: {
            message: this.props.config.trans.__(
              'No bars to show for %1.',
              symbol
            ),
            hint: null
          }
        });
        return;
      }
      const view = this._makeView(bars, undefined, undefined);
      this._views = [view];
      const n = view.series.times.length;
      const span = keepRange
        ? windowForRange(view.series.times, keepRange[0], keepRange[1])
        : defaultWindow(
            n,
            Math.max(
              10,
              Math.ceil(DEFAULT_VISIBLE_BARS[freq] / Math.max(1, bars.bucket))
            )
          );
      this._draw(view, span);
      this.setState({ loading: false, shown: bars, selected });
      this.props.onSymbolChange(selected);
      if (bars.bucket > 1) {
        void this._applyZoomPlan();
      }
    } catch (error) {
      if (isAbort(error) || this._disposed || seq !== this._loadSeq) {
        return;
      }
      this._views = [];
      this._chart?.clear();
      this.setState({
        loading: false,
        shown: null,
        error: describeError(error, this.props.config.trans)
      });
    }
  }

  private _makeView(
    bars: IBarsResponse,
    start: string | undefined,
    end: string | undefined
  ): IView {
    const colors = trendColors(this.props.config.settings.colorConvention);
    return { bars, series: prepareSeries(bars, colors), start, end };
  }

  /** Draw `view` with the current settings and theme. */
  private _draw(view: IView, span: IndexWindow): void {
    if (!this._chart) {
      return;
    }
    const { config } = this.props;
    const colors = trendColors(config.settings.colorConvention);
    const theme = readThemeColors(this._hostRef.current ?? document.body);
    const option = buildKlineOption({
      bars: view.bars,
      series: view.series,
      colors,
      theme,
      trans: config.trans,
      window: span
    });
    this._chart.render(view.bars, option);
  }

  /** Redraw the current view (colours, theme or language changed). */
  private _redraw(): void {
    const top = this._views[this._views.length - 1];
    if (!top || !this._chart) {
      return;
    }
    const span = this._chart.getWindow();
    // Volume colours depend on the convention: prepare again.
    this._views = this._views.map(v => this._makeView(v.bars, v.start, v.end));
    this._draw(this._views[this._views.length - 1], span);
  }

  /** First and last time of the visible window (null when nothing shown). */
  private _visibleRange(): [string, string] | null {
    const top = this._views[this._views.length - 1];
    if (!top || !this._chart) {
      return null;
    }
    const [a, b] = this._chart.getWindow();
    const times = top.series.times;
    return [times[a], times[b]];
  }

  private _scheduleZoom(): void {
    window.clearTimeout(this._zoomTimer);
    this._zoomTimer = window.setTimeout(() => {
      void this._applyZoomPlan();
    }, ZOOM_DEBOUNCE_MS);
  }

  /** Fetch finer detail for the visible window, or go back to a coarser view. */
  private async _applyZoomPlan(): Promise<void> {
    const chart = this._chart;
    const views = this._views;
    const top = views[views.length - 1];
    if (!chart || !top || this._disposed) {
      return;
    }
    const times = top.series.times;
    const [startIndex, endIndex] = chart.getWindow();
    const plan = planZoom({
      length: times.length,
      bucket: top.bars.bucket,
      startIndex,
      endIndex,
      maxPoints: this.props.config.settings.maxPoints,
      isDetail: views.length > 1,
      coversHistoryStart: top.start === undefined,
      coversHistoryEnd: top.end === undefined
    });
    if (plan.kind === 'up') {
      this._detailAbort?.abort();
      views.pop();
      const parent = views[views.length - 1];
      let span = windowForRange(
        parent.series.times,
        times[startIndex],
        times[endIndex]
      );
      if (plan.zoomOut) {
        // Zoomed out past the whole detail view: keep zooming out.
        span = expandWindow(span, 2, parent.series.times.length);
      }
      this._draw(parent, span);
      this.setState({ shown: parent.bars, loadingDetail: false });
      // The parent may be bucketed around the new position: drill again there.
      await this._applyZoomPlan();
      return;
    }
    if (plan.kind !== 'drill') {
      return;
    }
    const seq = this._loadSeq;
    this._detailAbort?.abort();
    const abort = new AbortController();
    this._detailAbort = abort;
    // Bucket times are the first bar of each bucket: a bucket ends where the
    // next one starts. At the view's ends keep the view's own range.
    const start =
      plan.fromIndex > 0 ? datePart(times[plan.fromIndex]) : top.start;
    const end =
      plan.toIndex + 1 < times.length
        ? datePart(times[plan.toIndex + 1])
        : top.end;
    this.setState({ loadingDetail: true });
    try {
      const bars = await this.props.client.bars(
        {
          symbol: top.bars.symbol,
          adjust: top.bars.adjust,
          freq: top.bars.freq,
          start,
          end,
          max_points: this.props.config.settings.maxPoints
        },
        { signal: abort.signal }
      );
      if (
        this._disposed ||
        seq !== this._loadSeq ||
        this._views[this._views.length - 1] !== top
      ) {
        return;
      }
      if (bars.data.time.length === 0 || bars.bucket >= top.bars.bucket) {
        // No finer detail to gain.
        this.setState({ loadingDetail: false });
        return;
      }
      // Map the window as it is now (the user may have kept zooming).
      const [a, b] = chart.getWindow();
      const view = this._makeView(bars, start, end);
      const detailTimes = view.series.times;
      const first = ceilIndex(detailTimes, times[a]);
      let last = detailTimes.length - 1;
      if (b + 1 < times.length) {
        const next = ceilIndex(detailTimes, times[b + 1]);
        last = detailTimes[next] >= times[b + 1] ? next - 1 : next;
      }
      this._views.push(view);
      this._draw(view, [Math.min(first, last), Math.max(first, last)]);
      this.setState({ shown: bars, loadingDetail: false });
    } catch (error) {
      if (isAbort(error) || this._disposed || seq !== this._loadSeq) {
        return;
      }
      // Keep the coarse view; say why the detail is missing.
      this.setState({
        loadingDetail: false,
        error: describeError(error, this.props.config.trans)
      });
    }
  }

  private readonly _uid = `jp-QuantMarket-${++viewCount}`;
  private readonly _hostRef = React.createRef<HTMLDivElement>();
  private _chart: KlineChart | null = null;
  private _views: IView[] = [];
  private _loadSeq = 0;
  private _loadedMaxPoints = 0;
  private _searchTimer = 0;
  private _zoomTimer = 0;
  private _searchAbort: AbortController | null = null;
  private _barsAbort: AbortController | null = null;
  private _detailAbort: AbortController | null = null;
  private readonly _updater: UpdatePoller;
  private _disposed = false;
}

/** Options of {@link MarketPanel}. */
export interface IMarketPanelOptions {
  client: QuantClient;
  config: QuantConfig;
  themeManager?: IThemeManager | null;
  /** Symbol to show when the panel opens. */
  symbol?: string | null;
}

/** The Lumino widget hosting {@link MarketView}. */
export class MarketPanel extends ReactWidget {
  constructor(options: IMarketPanelOptions) {
    super();
    this.addClass('jp-QuantMarketPanel');
    this._client = options.client;
    this._config = options.config;
    this._initialSymbol = options.symbol?.trim() || null;
    this._symbol = this._initialSymbol;
    this._config.changed.connect(this._onConfigChanged, this);
    options.themeManager?.themeChanged.connect(this._onThemeChanged, this);
  }

  /** The symbol shown (or being loaded), if any. */
  get symbol(): string | null {
    return this._symbol;
  }

  /** Emitted when a symbol has been loaded. */
  get symbolChanged(): ISignal<this, ISelectedSymbol> {
    return this._symbolChanged;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    Signal.disconnectReceiver(this);
    super.dispose();
    Signal.clearData(this);
  }

  protected render(): React.ReactElement {
    return (
      <MarketView
        client={this._client}
        config={this._config}
        revision={this._revision}
        themeRevision={this._themeRevision}
        initialSymbol={this._initialSymbol}
        onSymbolChange={this._onSymbolChange}
        isVisible={() => this.isVisible}
      />
    );
  }

  private _onConfigChanged(): void {
    this._revision++;
    this.update();
  }

  private _onThemeChanged(): void {
    // The new theme's CSS variables apply after the stylesheet loads.
    window.requestAnimationFrame(() => {
      if (!this.isDisposed) {
        this._themeRevision++;
        this.update();
      }
    });
  }

  private _onSymbolChange = (selected: ISelectedSymbol): void => {
    this._symbol = selected.symbol;
    this._symbolChanged.emit(selected);
  };

  private readonly _client: QuantClient;
  private readonly _config: QuantConfig;
  private readonly _initialSymbol: string | null;
  private _symbol: string | null;
  private _revision = 0;
  private _themeRevision = 0;
  private _symbolChanged = new Signal<this, ISelectedSymbol>(this);
}
