/**
 * The live WebSocket (实时推送) of the app: one shared connection to
 * `${wsUrl}jupyterlab-quant/v1/ws` carrying quotes, alerts and risk
 * statuses from the server's bus.
 *
 * Authentication is the one JupyterLab's own WebSockets use (kernels,
 * events): the browser sends the login cookie with the upgrade request, and
 * when the server settings ask for it (`appendToken`, e.g. a cross-origin
 * server) the token is appended as `?token=`.
 *
 * The socket reconnects with exponential backoff (with jitter) and sends the
 * subscription again after every reconnect. Several owners (panels) may
 * subscribe; the server gets the union.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { API_NAMESPACE, API_VERSION } from '../api';
import type {
  IAlertMessage,
  IErrorMessage,
  IHelloMessage,
  IQuote,
  IQuotesMessage,
  IRiskMessage,
  ISubscribeMessage,
  LiveMessage,
  LiveMessageType
} from '../models/live';
import { QUOTE_FIELDS, quotesFromRows } from '../models/live';

/**
 * State of the connection.
 *
 * - `idle`: not started (or stopped)
 * - `connecting`: first attempt in flight
 * - `connected`: open
 * - `reconnecting`: lost (or never reached); the next attempt is scheduled
 *   or in flight
 * - `disposed`: gone for good
 */
export type LiveConnectionState =
  'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disposed';

/** Message of each `type`. */
export interface ILiveMessageMap {
  quotes: IQuotesMessage;
  alert: IAlertMessage;
  risk: IRiskMessage;
  hello: IHelloMessage;
  error: IErrorMessage;
}

/**
 * A listener of one message type. `receivedAt` is `performance.now()` when
 * the frame arrived (before parsing), for latency measurements.
 */
export type LiveListener<K extends LiveMessageType> = (
  message: ILiveMessageMap[K],
  receivedAt: number
) => void;

/** Options of {@link LiveSocket}. */
export interface ILiveSocketOptions {
  /** Server connection settings (default: the page's). */
  settings?: ServerConnection.ISettings;
  /** Delay before the first reconnect attempt, ms (default 500). */
  initialDelayMs?: number;
  /** Longest delay between attempts, ms (default 30 s). */
  maxDelayMs?: number;
  /** Random source of the jitter, [0, 1) (default Math.random). */
  random?: () => number;
}

/** Default delays of the reconnect backoff. */
export const RECONNECT_INITIAL_MS = 500;
export const RECONNECT_MAX_MS = 30_000;

/** Path of the live WebSocket below the server's base URL. */
export const LIVE_WS_PATH = `${API_NAMESPACE}/${API_VERSION}/ws`;

/**
 * URL of the live WebSocket for the server `settings`: `wsUrl` + the path,
 * plus `?token=` when the settings ask for the token to be appended (as
 * `@jupyterlab/services` does for kernel WebSockets).
 */
export function liveSocketUrl(settings: ServerConnection.ISettings): string {
  const url = URLExt.join(settings.wsUrl, API_NAMESPACE, API_VERSION, 'ws');
  if (settings.appendToken && settings.token) {
    return `${url}?token=${encodeURIComponent(settings.token)}`;
  }
  return url;
}

/**
 * Delay before reconnect attempt `attempt` (1-based): doubling from
 * `initial` up to `max`, times a jitter factor in [0.8, 1.2).
 */
export function backoffDelay(
  attempt: number,
  initial: number = RECONNECT_INITIAL_MS,
  max: number = RECONNECT_MAX_MS,
  random: () => number = Math.random
): number {
  const base = Math.min(max, initial * Math.pow(2, Math.max(0, attempt - 1)));
  return Math.round(Math.min(max, base * (0.8 + 0.4 * random())));
}

const MESSAGE_TYPES: ReadonlySet<string> = new Set([
  'quotes',
  'alert',
  'risk',
  'hello',
  'error'
]);

/** The app's live WebSocket (see the module comment). */
export class LiveSocket {
  constructor(options: ILiveSocketOptions = {}) {
    this._settings = options.settings ?? ServerConnection.makeSettings();
    this._initialDelay = options.initialDelayMs ?? RECONNECT_INITIAL_MS;
    this._maxDelay = options.maxDelayMs ?? RECONNECT_MAX_MS;
    this._random = options.random ?? Math.random;
    this.url = liveSocketUrl(this._settings);
  }

  /** Where the socket connects (with `?token=` when appended). */
  readonly url: string;

  /** Current connection state. */
  get state(): LiveConnectionState {
    return this._state;
  }

  /** Emits the new state on every change. */
  get stateChanged(): ISignal<this, LiveConnectionState> {
    return this._stateChanged;
  }

  /** Failed attempts since the last successful open. */
  get failures(): number {
    return this._failures;
  }

  /** Whether {@link dispose} was called. */
  get isDisposed(): boolean {
    return this._state === 'disposed';
  }

  /** Symbols subscribed by all owners (sorted, unique). */
  get symbols(): string[] {
    const all = new Set<string>();
    for (const symbols of this._subscriptions.values()) {
      for (const symbol of symbols) {
        all.add(symbol);
      }
    }
    return [...all].sort();
  }

  /** Latest known quote of each subscribed symbol (from `hello`/`quotes`). */
  get latest(): ReadonlyMap<string, IQuote> {
    return this._latest;
  }

  /** Open the connection (no-op when already started). */
  start(): void {
    if (this._state !== 'idle') {
      return;
    }
    this._stopped = false;
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this._onOnline);
    }
    this._connect('connecting');
  }

  /** Close the connection and stop reconnecting (`start` opens it again). */
  stop(): void {
    if (this._state === 'disposed') {
      return;
    }
    this._stopped = true;
    this._clearTimer();
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this._onOnline);
    }
    this._closeSocket();
    this._setState('idle');
  }

  /** Stop for good and drop every listener. */
  dispose(): void {
    if (this._state === 'disposed') {
      return;
    }
    this.stop();
    this._listeners.clear();
    this._subscriptions.clear();
    this._latest.clear();
    this._setState('disposed');
    Signal.clearData(this);
  }

  /** Reconnect at once (e.g. from a "retry" button) when not connected. */
  reconnectNow(): void {
    if (this._stopped || this._state === 'connected' || this.isDisposed) {
      return;
    }
    this._clearTimer();
    this._closeSocket();
    this._connect(this._state === 'idle' ? 'connecting' : 'reconnecting');
  }

  /**
   * Subscribe `owner` to `symbols` (replacing its earlier subscription);
   * the server gets the union of all owners at once when connected, and
   * again after every reconnect.
   */
  subscribe(symbols: readonly string[], owner = 'default'): void {
    this._subscriptions.set(owner, new Set(symbols));
    this._syncSubscription();
  }

  /** Drop the subscription of `owner`. */
  unsubscribe(owner = 'default'): void {
    if (this._subscriptions.delete(owner)) {
      this._syncSubscription();
    }
  }

  /**
   * Listen to messages of one type; answers a function that removes the
   * listener. A throwing listener does not stop the others.
   */
  on<K extends LiveMessageType>(
    type: K,
    listener: LiveListener<K>
  ): () => void {
    let set = this._listeners.get(type);
    if (!set) {
      set = new Set();
      this._listeners.set(type, set);
    }
    const entry = listener as unknown as LiveListener<LiveMessageType>;
    set.add(entry);
    return () => {
      set?.delete(entry);
    };
  }

  // ---- internals -------------------------------------------------------------

  private _connect(state: 'connecting' | 'reconnecting'): void {
    this._setState(state);
    let socket: WebSocket;
    try {
      socket = new this._settings.WebSocket(this.url);
    } catch (error) {
      console.warn('jupyterlab-quant: cannot open the live WebSocket.', error);
      this._scheduleReconnect();
      return;
    }
    this._socket = socket;
    socket.onopen = () => {
      if (this._socket !== socket) {
        return;
      }
      this._failures = 0;
      this._sent = null;
      this._setState('connected');
      this._syncSubscription(true);
    };
    socket.onmessage = (event: MessageEvent) => {
      if (this._socket === socket) {
        this._onMessage(event);
      }
    };
    socket.onclose = () => {
      if (this._socket !== socket) {
        return;
      }
      this._socket = null;
      if (!this._stopped) {
        this._scheduleReconnect();
      }
    };
    // `error` is always followed by `close`, which reconnects.
    socket.onerror = () => undefined;
  }

  private _scheduleReconnect(): void {
    this._failures++;
    this._setState('reconnecting');
    this._clearTimer();
    const delay = backoffDelay(
      this._failures,
      this._initialDelay,
      this._maxDelay,
      this._random
    );
    this._timer = setTimeout(() => {
      this._timer = null;
      if (!this._stopped) {
        this._connect('reconnecting');
      }
    }, delay);
  }

  private _onMessage(event: MessageEvent): void {
    const receivedAt = performance.now();
    let message: LiveMessage;
    try {
      const parsed = JSON.parse(String(event.data));
      message =
        parsed && parsed.type === 'quotes' && Array.isArray(parsed.rows)
          ? {
              type: 'quotes',
              sent: parsed.sent,
              quotes: quotesFromRows(parsed.fields ?? QUOTE_FIELDS, parsed.rows)
            }
          : (parsed as LiveMessage);
    } catch {
      console.warn('jupyterlab-quant: a live message is not JSON; ignored.');
      return;
    }
    if (!message || !MESSAGE_TYPES.has(message.type)) {
      return;
    }
    if (message.type === 'error') {
      console.warn(`jupyterlab-quant: live feed: ${message.message}`);
    }
    const listeners = this._listeners.get(message.type);
    if (listeners) {
      for (const listener of [...listeners]) {
        try {
          listener(message, receivedAt);
        } catch (error) {
          console.error(
            `jupyterlab-quant: a listener of live '${message.type}' messages failed.`,
            error
          );
        }
      }
    }
    // The cache is filled after the listeners so they see the frame first.
    if (message.type === 'quotes' || message.type === 'hello') {
      for (const quote of message.quotes ?? []) {
        this._latest.set(quote.symbol, quote);
      }
    }
  }

  /** Send the union of the subscriptions when it changed (or `force`). */
  private _syncSubscription(force = false): void {
    const symbols = this.symbols;
    const key = symbols.join(',');
    // Forget quotes nobody asks for any more.
    const wanted = new Set(symbols);
    for (const symbol of this._latest.keys()) {
      if (!wanted.has(symbol)) {
        this._latest.delete(symbol);
      }
    }
    const socket = this._socket;
    if (!socket || this._state !== 'connected') {
      return;
    }
    if (!force && key === this._sent) {
      return;
    }
    if (force && symbols.length === 0) {
      // A fresh connection has no subscription to replace.
      this._sent = key;
      return;
    }
    const payload: ISubscribeMessage = { type: 'subscribe', symbols };
    try {
      socket.send(JSON.stringify(payload));
      this._sent = key;
    } catch (error) {
      console.warn('jupyterlab-quant: cannot send the subscription.', error);
    }
  }

  private _closeSocket(): void {
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = null;
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
  }

  private _clearTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _setState(state: LiveConnectionState): void {
    if (this._state === state || this._state === 'disposed') {
      return;
    }
    this._state = state;
    this._stateChanged.emit(state);
  }

  private readonly _onOnline = (): void => {
    if (this._state === 'reconnecting') {
      this._failures = 0;
      this.reconnectNow();
    }
  };

  private readonly _settings: ServerConnection.ISettings;
  private readonly _initialDelay: number;
  private readonly _maxDelay: number;
  private readonly _random: () => number;
  private _socket: WebSocket | null = null;
  private _state: LiveConnectionState = 'idle';
  private _stopped = true;
  private _failures = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  /** Subscription last sent on this connection (joined), null: none yet. */
  private _sent: string | null = null;
  private readonly _subscriptions = new Map<string, Set<string>>();
  private readonly _listeners = new Map<
    LiveMessageType,
    Set<LiveListener<LiveMessageType>>
  >();
  private readonly _latest = new Map<string, IQuote>();
  private readonly _stateChanged = new Signal<this, LiveConnectionState>(this);
}
