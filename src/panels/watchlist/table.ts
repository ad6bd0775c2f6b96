/**
 * The quote table of the watchlist (自选): a virtualised plain DOM grid
 * updated in place on every `quotes` message.
 *
 * Built for 5,000 symbols updating every 3 s. Writing 5,000 rows into the
 * DOM (and laying them out) costs far more than the ~20 ms budget from
 * receipt to screen, so the table keeps every symbol's latest quote in a
 * `Map` and only the rows in view (plus a margin, at least
 * {@link MIN_RENDERED_ROWS}) exist in the DOM: a message updates the map,
 * then the Text nodes of the rendered rows showing a symbol it carries
 * (text written only when it changed, colour classes only when the trend
 * changed). Updates are applied synchronously when the frame arrives: no
 * requestAnimationFrame batching, which would only add up to a frame of
 * delay at one message per 3 s.
 *
 * Attributes for browser tests and benchmarks:
 * - the grid: `data-testid="jlq-watchlist-table"`, `data-total` (symbols),
 *   `data-first`/`data-last` (indices of the rendered rows),
 *   `data-convention`;
 * - each rendered row: `data-symbol`, `data-index`, `data-trend`
 *   (`up|down|flat|suspended|none`), `data-testid="jlq-watchlist-row"`;
 * - each cell: `data-field` (`symbol|name|price|change|pct|volume|time`);
 *   the price cell: `data-updated` = the `sent` of the last `quotes`
 *   message that updated the symbol;
 * - `window.__jlqQuoteLatency`: ms from frame receipt to the end of the DOM
 *   update (performance.now based); `window.__jlqQuoteFrameLatency`: ms
 *   from receipt to the first task after the next frame (≈ painted);
 *   `window.__jlqQuoteWireLatency`: ms from the server's `sent` (epoch) to
 *   the receipt (includes any clock skew between server and browser).
 */
import type { ITrans } from '../../i18n';
import type { ColorConvention } from '../../kline/colors';
import {
  DASH,
  formatClock,
  formatPrice,
  formatSigned,
  formatSignedPct,
  formatVolume,
  priceDecimals,
  quoteTrend,
  Trend,
  trendClass
} from '../../live/format';
import type { IQuote } from '../../models/live';

declare global {
  // Augments the DOM's Window: its name is not ours to choose.
  // eslint-disable-next-line @typescript-eslint/naming-convention
  interface Window {
    /** ms from the receipt of a `quotes` frame to the end of the DOM update. */
    __jlqQuoteLatency?: number[];
    /** ms from the receipt of a `quotes` frame to just after the next frame. */
    __jlqQuoteFrameLatency?: number[];
    /** ms from the server's `sent` (epoch) to the receipt of the frame. */
    __jlqQuoteWireLatency?: number[];
  }
}

/** Latency samples kept (the oldest are dropped). */
export const LATENCY_SAMPLES = 10_000;

/** Height of a row, px (rows are absolutely placed). */
export const ROW_HEIGHT = 24;

/** Rows rendered at least (all of them for short lists). */
export const MIN_RENDERED_ROWS = 40;

/** Rows rendered above and below the visible ones. */
export const OVERSCAN_ROWS = 8;

/** Fields (columns) of the table, in order. */
export const WATCHLIST_FIELDS = [
  'symbol',
  'name',
  'price',
  'change',
  'pct',
  'volume',
  'time'
] as const;

/** One column of the table. */
export type WatchlistField = (typeof WATCHLIST_FIELDS)[number];

/** Header of a column. */
export function fieldLabel(field: WatchlistField, trans: ITrans): string {
  switch (field) {
    case 'symbol':
      return trans.__('Code');
    case 'name':
      return trans.__('Name');
    case 'price':
      return trans.__('Last price');
    case 'change':
      return trans.__('Chg');
    case 'pct':
      return trans.__('Chg %');
    case 'volume':
      return trans.__('Volume');
    case 'time':
      return trans.__('Time');
  }
}

/** Options of {@link WatchlistTable}. */
export interface IWatchlistTableOptions {
  trans: ITrans;
  convention: ColorConvention | string;
  /** The remove button of a row was clicked. */
  onRemove?: (symbol: string) => void;
  /** A row was double-clicked (open its K-line). */
  onOpen?: (symbol: string) => void;
  /** Record latencies in `window.__jlqQuote*Latency` (default true). */
  recordLatency?: boolean;
}

/** What one symbol shows (kept for every symbol, rendered or not). */
interface IRowState {
  symbol: string;
  index: number;
  decimals: number;
  /** Name known before a quote brings one (from the search). */
  name: string;
  quote: IQuote | null;
  /** `sent` of the last message that updated it. */
  sent: string | null;
  /** The rendered row showing it, if any. */
  view: IRowView | null;
}

/** One rendered row (recycled while scrolling). */
interface IRowView {
  el: HTMLDivElement;
  name: Text;
  price: Text;
  change: Text;
  pct: Text;
  volume: Text;
  time: Text;
  code: Text;
  priceCell: HTMLDivElement;
  changeCell: HTMLDivElement;
  pctCell: HTMLDivElement;
  remove: HTMLButtonElement;
  state: IRowState | null;
  trend: Trend | '';
  tone: string;
  sent: string | null;
}

const CELL = 'jp-QuantWatchlist-cell';
const NUM_CELL = 'jp-QuantWatchlist-cell jp-QuantWatchlist-num';

function setText(node: Text, value: string): void {
  if (node.data !== value) {
    node.data = value;
  }
}

function pushSample(list: number[], value: number): void {
  list.push(value);
  if (list.length > LATENCY_SAMPLES) {
    list.splice(0, list.length - LATENCY_SAMPLES);
  }
}

/** The quote table (see the module comment). */
export class WatchlistTable {
  constructor(options: IWatchlistTableOptions) {
    this._trans = options.trans;
    this._suspendedText = options.trans.__('Suspended');
    this._convention = options.convention;
    this._onRemove = options.onRemove;
    this._onOpen = options.onOpen;
    this._recordLatency = options.recordLatency ?? true;

    const node = document.createElement('div');
    node.className = 'jp-QuantWatchlist-table';
    node.setAttribute('role', 'table');
    node.setAttribute('data-testid', 'jlq-watchlist-table');
    node.setAttribute('data-convention', String(this._convention));
    node.setAttribute('data-total', '0');
    this._head = document.createElement('div');
    this._head.className = 'jp-QuantWatchlist-head';
    this._head.setAttribute('role', 'row');
    this._rowsHost = document.createElement('div');
    this._rowsHost.className = 'jp-QuantWatchlist-rows';
    this._rowsHost.setAttribute('role', 'rowgroup');
    node.append(this._head, this._rowsHost);
    this.node = node;
    this._renderHead();

    node.addEventListener('scroll', this._onScroll, { passive: true });
    this._rowsHost.addEventListener('click', this._onClick);
    this._rowsHost.addEventListener('dblclick', this._onDblClick);
    if (typeof ResizeObserver !== 'undefined') {
      this._resize = new ResizeObserver(() => this._renderWindow());
      this._resize.observe(node);
    }
    if (this._recordLatency && typeof window !== 'undefined') {
      window.__jlqQuoteLatency = window.__jlqQuoteLatency ?? [];
      window.__jlqQuoteFrameLatency = window.__jlqQuoteFrameLatency ?? [];
      window.__jlqQuoteWireLatency = window.__jlqQuoteWireLatency ?? [];
    }
  }

  /** The grid (also the scroll container). */
  readonly node: HTMLDivElement;

  /** Symbols shown, in order. */
  get symbols(): string[] {
    return this._order.map(state => state.symbol);
  }

  /** Symbols whose rows are in the DOM now, in order. */
  get renderedSymbols(): string[] {
    return this._views
      .map(view => view.state?.symbol)
      .filter((symbol): symbol is string => !!symbol);
  }

  /** The rendered row of `symbol` (undefined when scrolled out of view). */
  row(symbol: string): HTMLDivElement | undefined {
    return this._states.get(symbol)?.view?.el;
  }

  /** The latest quote of `symbol` (rendered or not). */
  quote(symbol: string): IQuote | null {
    return this._states.get(symbol)?.quote ?? null;
  }

  /** Scroll so that the row of `symbol` is in view (and rendered). */
  scrollToSymbol(symbol: string): void {
    const state = this._states.get(symbol);
    if (!state) {
      return;
    }
    const top = state.index * ROW_HEIGHT;
    const height = this.node.clientHeight - ROW_HEIGHT;
    if (top < this.node.scrollTop || top > this.node.scrollTop + height) {
      this.node.scrollTop = Math.max(0, top - height / 2);
    }
    this._renderWindow();
  }

  /**
   * Show `symbols` in this order: kept symbols keep their quote, new ones
   * start empty (with `names` when given), missing ones are dropped.
   */
  setSymbols(
    symbols: readonly string[],
    names?: ReadonlyMap<string, string>
  ): void {
    const next = new Map<string, IRowState>();
    const order: IRowState[] = [];
    for (const symbol of symbols) {
      if (next.has(symbol)) {
        continue;
      }
      const state: IRowState = this._states.get(symbol) ?? {
        symbol,
        index: 0,
        decimals: priceDecimals(symbol),
        name: '',
        quote: null,
        sent: null,
        view: null
      };
      const name = names?.get(symbol);
      if (name && !state.name) {
        state.name = name;
      }
      state.index = order.length;
      next.set(symbol, state);
      order.push(state);
    }
    this._states = next;
    this._order = order;
    this._rowsHost.style.height = `${order.length * ROW_HEIGHT}px`;
    this.node.setAttribute('data-total', String(order.length));
    this._renderWindow(true);
  }

  /** Show `name` for `symbol` until a quote brings one. */
  setName(symbol: string, name: string): void {
    const state = this._states.get(symbol);
    if (state && name) {
      state.name = name;
      if (state.view) {
        this._render(state.view, state);
      }
    }
  }

  /**
   * Take the quotes of a message: every symbol's latest quote is kept; the
   * rendered rows among them are updated in place. `sent` (the message's
   * epoch ms) is kept as `data-updated`; with `receivedAt` (performance.now
   * at receipt) the latencies are recorded. Answers the number of the
   * table's symbols the message carried.
   */
  applyQuotes(
    quotes: readonly IQuote[],
    sent?: number | null,
    receivedAt?: number
  ): number {
    const stamp = sent === null || sent === undefined ? null : String(sent);
    const states = this._states;
    let updated = 0;
    for (let i = 0; i < quotes.length; i++) {
      const quote = quotes[i];
      const state = states.get(quote.symbol);
      if (state === undefined) {
        continue;
      }
      state.quote = quote;
      if (stamp !== null) {
        state.sent = stamp;
      }
      if (state.view !== null) {
        this._render(state.view, state);
      }
      updated++;
    }
    if (
      updated > 0 &&
      this._recordLatency &&
      receivedAt !== undefined &&
      typeof window !== 'undefined'
    ) {
      const done = performance.now();
      pushSample((window.__jlqQuoteLatency ??= []), done - receivedAt);
      if (typeof sent === 'number' && Number.isFinite(sent)) {
        pushSample(
          (window.__jlqQuoteWireLatency ??= []),
          performance.timeOrigin + receivedAt - sent
        );
      }
      if (typeof requestAnimationFrame === 'function') {
        requestAnimationFrame(() =>
          setTimeout(() =>
            pushSample(
              (window.__jlqQuoteFrameLatency ??= []),
              performance.now() - receivedAt
            )
          )
        );
      }
    }
    return updated;
  }

  /** Switch the up/down colour convention (recolours the rendered rows). */
  setConvention(convention: ColorConvention | string): void {
    if (convention === this._convention) {
      return;
    }
    this._convention = convention;
    this.node.setAttribute('data-convention', String(convention));
    for (const view of this._views) {
      this._applyTone(view);
    }
  }

  /** Switch the language (headers, 停牌, volumes). */
  setTrans(trans: ITrans): void {
    this._trans = trans;
    this._suspendedText = trans.__('Suspended');
    this._renderHead();
    for (const view of this._views) {
      view.trend = '';
      if (view.state) {
        this._labelRemove(view, view.state.symbol);
        this._render(view, view.state);
      }
    }
  }

  /** Remove the listeners. */
  dispose(): void {
    this.node.removeEventListener('scroll', this._onScroll);
    this._rowsHost.removeEventListener('click', this._onClick);
    this._rowsHost.removeEventListener('dblclick', this._onDblClick);
    this._resize?.disconnect();
    this._states.clear();
    this._order = [];
    this._views = [];
  }

  // ---- internals -------------------------------------------------------------

  private _renderHead(): void {
    const cells: HTMLElement[] = [];
    for (const field of WATCHLIST_FIELDS) {
      const cell = document.createElement('div');
      cell.className = `${CELL} jp-QuantWatchlist-headCell`;
      cell.setAttribute('role', 'columnheader');
      cell.setAttribute('data-field', field);
      cell.textContent = fieldLabel(field, this._trans);
      cells.push(cell);
    }
    const actions = document.createElement('div');
    actions.className = CELL;
    actions.setAttribute('role', 'columnheader');
    actions.setAttribute('data-field', 'actions');
    cells.push(actions);
    this._head.replaceChildren(...cells);
  }

  /**
   * Render the rows in view (plus the margin): views are recycled, each
   * shows the row at its index.
   */
  private _renderWindow(force = false): void {
    const total = this._order.length;
    const height = this.node.clientHeight;
    const visible = Math.ceil(height / ROW_HEIGHT) + 2 * OVERSCAN_ROWS;
    const count = Math.min(total, Math.max(MIN_RENDERED_ROWS, visible));
    const top = Math.floor(this.node.scrollTop / ROW_HEIGHT) - OVERSCAN_ROWS;
    const first = Math.max(0, Math.min(top, total - count));
    if (!force && first === this._first && count === this._views.length) {
      return;
    }
    this._first = first;
    while (this._views.length < count) {
      const view = this._createView();
      this._views.push(view);
      this._rowsHost.appendChild(view.el);
    }
    while (this._views.length > count) {
      const view = this._views.pop() as IRowView;
      if (view.state && view.state.view === view) {
        view.state.view = null;
      }
      view.el.remove();
    }
    // Detach every view first so that a state moving between views is not
    // left pointing at the wrong one.
    for (const view of this._views) {
      if (view.state && view.state.view === view) {
        view.state.view = null;
      }
    }
    for (let k = 0; k < count; k++) {
      const view = this._views[k];
      const state = this._order[first + k];
      if (view.state !== state) {
        view.state = state;
        view.trend = '';
        view.sent = null;
        view.el.setAttribute('data-symbol', state.symbol);
        setText(view.code, state.symbol);
        this._labelRemove(view, state.symbol);
      }
      if (view.el.getAttribute('data-index') !== String(first + k)) {
        view.el.setAttribute('data-index', String(first + k));
        view.el.style.transform = `translateY(${(first + k) * ROW_HEIGHT}px)`;
      }
      state.view = view;
      this._render(view, state);
    }
    this.node.setAttribute('data-first', String(first));
    this.node.setAttribute('data-last', String(first + count - 1));
  }

  private _createView(): IRowView {
    const el = document.createElement('div');
    el.className = 'jp-QuantWatchlist-row';
    el.setAttribute('role', 'row');
    el.setAttribute('data-testid', 'jlq-watchlist-row');
    el.setAttribute('data-trend', 'none');
    const cell = (field: string, className: string) => {
      const div = document.createElement('div');
      div.className = className;
      div.setAttribute('role', 'cell');
      div.setAttribute('data-field', field);
      const text = document.createTextNode('');
      div.appendChild(text);
      el.appendChild(div);
      return { div, text };
    };
    const flat = trendClass('none', this._convention);
    const code = cell('symbol', `${CELL} jp-QuantWatchlist-code`);
    const name = cell('name', `${CELL} jp-QuantWatchlist-name`);
    const price = cell('price', `${NUM_CELL} ${flat}`);
    const change = cell('change', `${NUM_CELL} ${flat}`);
    const pct = cell('pct', `${NUM_CELL} ${flat}`);
    const volume = cell('volume', NUM_CELL);
    const time = cell('time', `${NUM_CELL} jp-QuantWatchlist-time`);
    const actions = document.createElement('div');
    actions.className = `${CELL} jp-QuantWatchlist-actions`;
    actions.setAttribute('role', 'cell');
    actions.setAttribute('data-field', 'actions');
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'jp-QuantWatchlist-remove';
    remove.setAttribute('data-action', 'remove');
    remove.setAttribute('data-testid', 'jlq-watchlist-remove');
    remove.textContent = '×';
    actions.appendChild(remove);
    el.appendChild(actions);
    return {
      el,
      code: code.text,
      name: name.text,
      price: price.text,
      change: change.text,
      pct: pct.text,
      volume: volume.text,
      time: time.text,
      priceCell: price.div,
      changeCell: change.div,
      pctCell: pct.div,
      remove,
      state: null,
      trend: '',
      tone: flat,
      sent: null
    };
  }

  private _labelRemove(view: IRowView, symbol: string): void {
    const label = this._trans.__('Remove %1 from the watchlist', symbol);
    view.remove.title = label;
    view.remove.setAttribute('aria-label', label);
  }

  /** Write a symbol's state into a rendered row (the hot path). */
  private _render(view: IRowView, state: IRowState): void {
    const quote = state.quote;
    const trend = quoteTrend(quote);
    if (quote === null) {
      setText(view.price, DASH);
      setText(view.change, DASH);
      setText(view.pct, DASH);
      setText(view.volume, DASH);
      setText(view.time, DASH);
    } else {
      if (trend === 'suspended') {
        setText(view.price, this._suspendedText);
        setText(view.change, DASH);
        setText(view.pct, DASH);
      } else {
        const price = quote.price as number;
        const preclose = quote.preclose;
        setText(view.price, formatPrice(price, state.decimals));
        if (preclose !== null && preclose !== undefined && preclose > 0) {
          const diff = price - preclose;
          setText(view.change, formatSigned(diff, state.decimals));
          setText(view.pct, formatSignedPct(diff / preclose));
        } else {
          setText(view.change, DASH);
          setText(view.pct, DASH);
        }
      }
      const volume = quote.volume;
      setText(
        view.volume,
        volume === null || volume === undefined
          ? DASH
          : formatVolume(volume, this._trans.language)
      );
      setText(view.time, formatClock(quote.time));
    }
    setText(view.name, quote?.name || state.name);
    if (state.sent !== view.sent) {
      view.sent = state.sent;
      if (state.sent === null) {
        view.priceCell.removeAttribute('data-updated');
      } else {
        view.priceCell.setAttribute('data-updated', state.sent);
      }
    }
    if (trend !== view.trend) {
      view.trend = trend;
      view.el.setAttribute('data-trend', trend);
      this._applyTone(view);
    }
  }

  private _applyTone(view: IRowView): void {
    const tone = trendClass(view.trend || 'none', this._convention);
    if (tone === view.tone) {
      return;
    }
    view.tone = tone;
    const className = `${NUM_CELL} ${tone}`;
    view.priceCell.className = className;
    view.changeCell.className = className;
    view.pctCell.className = className;
  }

  private readonly _onScroll = (): void => {
    this._renderWindow();
  };

  private readonly _onClick = (event: MouseEvent): void => {
    const target = event.target as Element | null;
    const button = target?.closest?.('button[data-action="remove"]');
    const symbol = button
      ?.closest('[data-symbol]')
      ?.getAttribute('data-symbol');
    if (symbol && this._onRemove) {
      event.stopPropagation();
      this._onRemove(symbol);
    }
  };

  private readonly _onDblClick = (event: MouseEvent): void => {
    const target = event.target as Element | null;
    if (target?.closest?.('button')) {
      return;
    }
    const symbol = target
      ?.closest?.('[data-symbol]')
      ?.getAttribute('data-symbol');
    if (symbol && this._onOpen) {
      this._onOpen(symbol);
    }
  };

  private _trans: ITrans;
  private _convention: ColorConvention | string;
  private _suspendedText: string;
  private readonly _onRemove?: (symbol: string) => void;
  private readonly _onOpen?: (symbol: string) => void;
  private readonly _recordLatency: boolean;
  private readonly _head: HTMLDivElement;
  private readonly _rowsHost: HTMLDivElement;
  private _resize: ResizeObserver | null = null;
  private _states = new Map<string, IRowState>();
  private _order: IRowState[] = [];
  private _views: IRowView[] = [];
  private _first = -1;
}
