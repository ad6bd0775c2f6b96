/**
 * The watchlist panel (自选): the symbols the user follows with live quotes
 * from the shared WebSocket. The toolbar is React; the quote table is plain
 * DOM updated in place (see `table.ts`).
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import { PanelLayout, Widget } from '@lumino/widgets';
import * as React from 'react';

import type { QuantConfig } from '../../config';
import { describeError } from '../../errors';
import type { LiveSocket } from '../../live/socket';
import type { IHelloMessage, IQuotesMessage } from '../../models/live';
import type { ISymbolInfo } from '../../models';
import { IWatchlistApi, WatchlistModel } from './model';
import { WatchlistTable } from './table';
import { WatchlistToolbar } from './toolbar';

/** Subscription owner of the watchlist on the shared socket. */
export const WATCHLIST_OWNER = 'watchlist';

/** Options of {@link WatchlistPanel}. */
export interface IWatchlistPanelOptions {
  client: IWatchlistApi;
  socket: LiveSocket;
  config: QuantConfig;
  /** Search instruments by code or name (the market panel's search). */
  search: (query: string, signal: AbortSignal) => Promise<ISymbolInfo[]>;
  /** Open the K-line of a symbol (double-click on a row). */
  onOpenSymbol?: (symbol: string) => void;
}

/** The React toolbar, re-rendered by the panel. */
class ToolbarWidget extends ReactWidget {
  constructor(private readonly _render: () => React.ReactElement) {
    super();
    this.addClass('jp-QuantWatchlist-toolbarHost');
  }

  protected render(): React.ReactElement {
    return this._render();
  }
}

/** The watchlist panel (see the module comment). */
export class WatchlistPanel extends Widget {
  constructor(options: IWatchlistPanelOptions) {
    super();
    this.addClass('jp-QuantWatchlistPanel');
    this._options = options;
    const { config, socket } = options;
    this.model = new WatchlistModel({
      client: options.client,
      onChange: () => this._onModelChanged()
    });
    this.table = new WatchlistTable({
      trans: config.trans,
      convention: config.settings.colorConvention,
      onRemove: symbol => void this.model.remove(symbol),
      onOpen: options.onOpenSymbol
    });

    const layout = new PanelLayout();
    this.layout = layout;
    this._toolbar = new ToolbarWidget(() => this._renderToolbar());
    layout.addWidget(this._toolbar);
    const body = new Widget();
    body.addClass('jp-QuantWatchlist-body');
    body.node.appendChild(this.table.node);
    this._empty = document.createElement('div');
    this._empty.className = 'jp-QuantWatchlist-empty';
    this._empty.setAttribute('data-testid', 'jlq-watchlist-empty');
    body.node.appendChild(this._empty);
    layout.addWidget(body);

    this._offQuotes = socket.on('quotes', this._onQuotes);
    this._offHello = socket.on('hello', this._onHello);
    socket.stateChanged.connect(this._onSocketState, this);
    config.changed.connect(this._onConfigChanged, this);
    this._renderEmpty();
    void this.model.load();
  }

  /** The symbols, persisted on the server. */
  readonly model: WatchlistModel;

  /** The quote table. */
  readonly table: WatchlistTable;

  /** Add a symbol (the name shows until a quote brings one). */
  add(symbol: string, name?: string): Promise<boolean> {
    if (name) {
      this._names.set(symbol, name);
    }
    return this.model.add(symbol).then(saved => {
      const stored = this.model.symbols.find(
        s => s.toUpperCase() === symbol.toUpperCase()
      );
      if (stored && !this.isDisposed) {
        this.table.scrollToSymbol(stored);
      }
      return saved;
    });
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._offQuotes();
    this._offHello();
    this._options.socket.unsubscribe(WATCHLIST_OWNER);
    this.table.dispose();
    Signal.disconnectReceiver(this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._toolbar.update();
  }

  private _renderToolbar(): React.ReactElement {
    const { config, socket } = this._options;
    const trans = config.trans;
    const error = this.model.error;
    return (
      <WatchlistToolbar
        trans={trans}
        count={this.model.symbols.length}
        loading={this.model.loading}
        error={error ? describeError(error, trans).message : null}
        connection={socket.state}
        failures={socket.failures}
        search={this._options.search}
        has={symbol => this.model.has(symbol)}
        onAdd={(symbol, name) => void this.add(symbol, name)}
        onRetry={() => socket.reconnectNow()}
        onReload={() => void this.model.load()}
        onDismissError={() => this.model.clearError()}
      />
    );
  }

  private _onModelChanged(): void {
    if (this.isDisposed) {
      return;
    }
    const symbols = this.model.symbols;
    const key = symbols.join(',');
    if (key !== this._shownKey) {
      this._shownKey = key;
      this.table.setSymbols(symbols, this._names);
      // Show what the socket already knows, before the next message.
      const latest = this._options.socket.latest;
      const known = symbols
        .map(symbol => latest.get(symbol))
        .filter(quote => quote !== undefined);
      if (known.length) {
        this.table.applyQuotes(known);
      }
      this._options.socket.subscribe(symbols, WATCHLIST_OWNER);
    }
    this._renderEmpty();
    this._toolbar.update();
  }

  private _renderEmpty(): void {
    const trans = this._options.config.trans;
    const empty = !this.model.loading && this.model.symbols.length === 0;
    this._empty.hidden = !empty;
    this._empty.textContent = empty
      ? trans.__(
          'The watchlist is empty: add a symbol above (code or name). Double-click a row to open its K-line.'
        )
      : '';
  }

  private readonly _onQuotes = (
    message: IQuotesMessage,
    receivedAt: number
  ): void => {
    this.table.applyQuotes(message.quotes ?? [], message.sent, receivedAt);
  };

  private readonly _onHello = (message: IHelloMessage): void => {
    this.table.applyQuotes(message.quotes ?? []);
  };

  private _onSocketState(): void {
    this._toolbar.update();
  }

  private _onConfigChanged(): void {
    const { config } = this._options;
    this.table.setConvention(config.settings.colorConvention);
    this.table.setTrans(config.trans);
    this._renderEmpty();
    this._toolbar.update();
  }

  private readonly _options: IWatchlistPanelOptions;
  private readonly _toolbar: ToolbarWidget;
  private readonly _empty: HTMLDivElement;
  private readonly _offQuotes: () => void;
  private readonly _offHello: () => void;
  private readonly _names = new Map<string, string>();
  private _shownKey: string | null = null;
}
