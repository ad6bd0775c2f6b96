/**
 * The symbols of the watchlist (自选), persisted through `GET/PUT
 * /watchlist`. Changes show at once and are saved in order; a failed save
 * goes back to the list the server last confirmed.
 */
import type { IWatchlistResponse } from '../../models/live';

/** The part of `WatchlistClient` the model uses. */
export interface IWatchlistApi {
  get(init?: RequestInit): Promise<IWatchlistResponse>;
  put(symbols: string[], init?: RequestInit): Promise<IWatchlistResponse>;
}

/** Options of {@link WatchlistModel}. */
export interface IWatchlistModelOptions {
  client: IWatchlistApi;
  /** Called after every change of `symbols`, `loading` or `error`. */
  onChange: () => void;
}

/** The watchlist's symbols (see the module comment). */
export class WatchlistModel {
  constructor(options: IWatchlistModelOptions) {
    this._client = options.client;
    this._onChange = options.onChange;
  }

  /** Symbols in the user's order. */
  get symbols(): readonly string[] {
    return this._symbols;
  }

  /** True until the first load answered. */
  get loading(): boolean {
    return this._loading;
  }

  /** The last failure (load or save), null after a success. */
  get error(): unknown {
    return this._error;
  }

  /** Whether `symbol` is in the list. */
  has(symbol: string): boolean {
    return this._symbols.includes(symbol);
  }

  /** Load the list from the server. */
  async load(): Promise<void> {
    this._loading = true;
    this._onChange();
    try {
      const response = await this._client.get();
      this._confirmed = [...response.symbols];
      if (this._pending === 0) {
        this._symbols = [...this._confirmed];
      }
      this._error = null;
    } catch (error) {
      this._error = error;
    } finally {
      this._loading = false;
      this._onChange();
    }
  }

  /** Append `symbol` (no-op when present); answers whether it was saved. */
  add(symbol: string): Promise<boolean> {
    if (!symbol || this.has(symbol)) {
      return Promise.resolve(false);
    }
    return this._change([...this._symbols, symbol]);
  }

  /** Remove `symbol`; answers whether the removal was saved. */
  remove(symbol: string): Promise<boolean> {
    if (!this.has(symbol)) {
      return Promise.resolve(false);
    }
    return this._change(this._symbols.filter(s => s !== symbol));
  }

  /** Forget the last error. */
  clearError(): void {
    if (this._error !== null) {
      this._error = null;
      this._onChange();
    }
  }

  private _change(next: string[]): Promise<boolean> {
    this._symbols = next;
    this._pending++;
    this._onChange();
    const save = this._queue.then(async () => {
      try {
        const response = await this._client.put(next);
        this._confirmed = [...response.symbols];
        this._error = null;
        return true;
      } catch (error) {
        this._error = error;
        return false;
      } finally {
        this._pending--;
        if (this._pending === 0) {
          // The server's answer (normalised symbols) or, after a failure,
          // the list it last confirmed.
          this._symbols = [...this._confirmed];
        }
        this._onChange();
      }
    });
    this._queue = save.then(() => undefined);
    return save;
  }

  private readonly _client: IWatchlistApi;
  private readonly _onChange: () => void;
  private _symbols: string[] = [];
  private _confirmed: string[] = [];
  private _loading = true;
  private _error: unknown = null;
  private _pending = 0;
  private _queue: Promise<void> = Promise.resolve();
}
