/**
 * The toolbar of the watchlist (自选): add a symbol (search by code or
 * name), the number of symbols, the connection indicator and errors.
 */
import * as React from 'react';

import type { ITrans } from '../../i18n';
import type { LiveConnectionState } from '../../live/socket';
import { connectionLabel, connectionTitle } from '../../live/state';
import type { ISymbolInfo } from '../../models';
import { guessSymbol } from '../../symbols';

/** Debounce of the symbol search, ms. */
export const WATCHLIST_SEARCH_DEBOUNCE_MS = 200;

/** Props of {@link ConnectionIndicator}. */
export interface IConnectionIndicatorProps {
  trans: ITrans;
  state: LiveConnectionState;
  failures: number;
  onRetry?: () => void;
}

/** Live / reconnecting badge; a click retries at once when not connected. */
export function ConnectionIndicator(
  props: IConnectionIndicatorProps
): JSX.Element {
  const { trans, state, failures } = props;
  return (
    <button
      type="button"
      className={`jp-QuantLive-connection jp-mod-${state}`}
      data-testid="jlq-live-connection"
      data-state={state}
      title={connectionTitle(state, trans)}
      onClick={() => {
        if (state !== 'connected') {
          props.onRetry?.();
        }
      }}
    >
      <span className="jp-QuantLive-connectionDot" aria-hidden="true" />
      {connectionLabel(state, trans, failures)}
    </button>
  );
}

/** Props of {@link SymbolAdder}. */
export interface ISymbolAdderProps {
  trans: ITrans;
  /** Search instruments by code or name. */
  search: (query: string, signal: AbortSignal) => Promise<ISymbolInfo[]>;
  /** Add a symbol (with its name when known). */
  onAdd: (symbol: string, name?: string) => void;
  /** Whether `symbol` is already in the list. */
  has: (symbol: string) => boolean;
}

/** Search box with suggestions; Enter adds the highlighted match. */
export function SymbolAdder(props: ISymbolAdderProps): JSX.Element {
  const { trans } = props;
  const [query, setQuery] = React.useState('');
  const [results, setResults] = React.useState<ISymbolInfo[]>([]);
  const [active, setActive] = React.useState(0);
  const [open, setOpen] = React.useState(false);
  const [note, setNote] = React.useState<string | null>(null);
  const timer = React.useRef<number>(0);
  const abort = React.useRef<AbortController | null>(null);

  React.useEffect(
    () => () => {
      window.clearTimeout(timer.current);
      abort.current?.abort();
    },
    []
  );

  const runSearch = (text: string) => {
    window.clearTimeout(timer.current);
    abort.current?.abort();
    if (!text.trim()) {
      setResults([]);
      return;
    }
    timer.current = window.setTimeout(() => {
      const controller = new AbortController();
      abort.current = controller;
      props
        .search(text.trim(), controller.signal)
        .then(items => {
          if (!controller.signal.aborted) {
            setResults(items);
            setActive(0);
          }
        })
        .catch(() => {
          if (!controller.signal.aborted) {
            setResults([]);
          }
        });
    }, WATCHLIST_SEARCH_DEBOUNCE_MS);
  };

  const add = (symbol: string, name?: string) => {
    if (props.has(symbol)) {
      setNote(trans.__('%1 is already in the watchlist.', symbol));
    } else {
      props.onAdd(symbol, name);
      setNote(null);
    }
    setQuery('');
    setResults([]);
    setOpen(false);
  };

  const submit = () => {
    const picked = open ? results[active] : undefined;
    if (picked) {
      add(picked.symbol, picked.name);
      return;
    }
    const guessed = guessSymbol(query);
    if (guessed) {
      add(guessed);
    } else if (results.length > 0) {
      add(results[0].symbol, results[0].name);
    } else if (query.trim()) {
      setNote(
        trans.__(
          'Not a symbol: %1. Use CODE.SH, CODE.SZ or CODE.BJ, e.g. 600519.SH.',
          query.trim()
        )
      );
    }
  };

  return (
    <div className="jp-QuantWatchlist-adder">
      <input
        className="jp-mod-styled jp-QuantWatchlist-search"
        data-testid="jlq-watchlist-add"
        type="search"
        value={query}
        placeholder={trans.__('Add: code or name, e.g. 600519 or 茅台')}
        aria-label={trans.__('Add a symbol to the watchlist')}
        autoComplete="off"
        onChange={e => {
          setQuery(e.target.value);
          setOpen(true);
          setNote(null);
          runSearch(e.target.value);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => window.setTimeout(() => setOpen(false), 150)}
        onKeyDown={e => {
          if (e.key === 'Enter') {
            e.preventDefault();
            submit();
          } else if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
            setActive(a => Math.min(a + 1, Math.max(0, results.length - 1)));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive(a => Math.max(a - 1, 0));
          } else if (e.key === 'Escape') {
            setOpen(false);
          }
        }}
      />
      <button
        type="button"
        className="jp-mod-styled jp-mod-accept jp-QuantWatchlist-addButton"
        data-testid="jlq-watchlist-add-button"
        onClick={submit}
        disabled={!query.trim()}
      >
        {trans.__('Add')}
      </button>
      {open && results.length > 0 && (
        <ul
          className="jp-QuantWatchlist-results"
          role="listbox"
          data-testid="jlq-watchlist-results"
        >
          {results.map((item, i) => (
            <li
              key={item.symbol}
              role="option"
              aria-selected={i === active}
              className={`jp-QuantWatchlist-result${i === active ? ' jp-mod-active' : ''}`}
              data-symbol={item.symbol}
              onMouseDown={e => {
                e.preventDefault();
                add(item.symbol, item.name);
              }}
              onMouseEnter={() => setActive(i)}
            >
              <span className="jp-QuantWatchlist-resultCode">
                {item.symbol}
              </span>
              <span className="jp-QuantWatchlist-resultName">{item.name}</span>
              {props.has(item.symbol) && (
                <span className="jp-QuantWatchlist-resultIn">
                  {trans.__('in the list')}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {note && (
        <span className="jp-QuantWatchlist-note" role="status">
          {note}
        </span>
      )}
    </div>
  );
}

/** Props of {@link WatchlistToolbar}. */
export interface IWatchlistToolbarProps {
  trans: ITrans;
  count: number;
  loading: boolean;
  error: string | null;
  connection: LiveConnectionState;
  failures: number;
  search: ISymbolAdderProps['search'];
  has: (symbol: string) => boolean;
  onAdd: (symbol: string, name?: string) => void;
  onRetry: () => void;
  onReload: () => void;
  onDismissError: () => void;
}

/** The toolbar above the quote table. */
export function WatchlistToolbar(props: IWatchlistToolbarProps): JSX.Element {
  const { trans } = props;
  return (
    <div className="jp-QuantWatchlist-toolbar">
      <h2 className="jp-QuantWatchlist-title">{trans.__('Watchlist')}</h2>
      <SymbolAdder
        trans={trans}
        search={props.search}
        onAdd={props.onAdd}
        has={props.has}
      />
      <span
        className="jp-QuantWatchlist-count"
        data-testid="jlq-watchlist-count"
      >
        {props.loading
          ? trans.__('Loading…')
          : trans.__('%1 symbols', props.count)}
      </span>
      <span className="jp-QuantWatchlist-spacer" />
      <ConnectionIndicator
        trans={trans}
        state={props.connection}
        failures={props.failures}
        onRetry={props.onRetry}
      />
      {props.error && (
        <div
          className="jp-QuantLive-error jp-QuantWatchlist-error"
          role="alert"
          data-testid="jlq-watchlist-error"
        >
          <span>{props.error}</span>
          <button
            type="button"
            className="jp-mod-styled"
            onClick={props.onReload}
          >
            {trans.__('Retry')}
          </button>
          <button
            type="button"
            className="jp-mod-styled"
            onClick={props.onDismissError}
          >
            {trans.__('Dismiss')}
          </button>
        </div>
      )}
    </div>
  );
}
