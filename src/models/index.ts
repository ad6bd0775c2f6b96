/**
 * Wire models of the jupyterlab-quant REST API (`/jupyterlab-quant/v1/...`).
 *
 * These mirror the server's response shapes one to one; keep them in sync
 * with `jupyterlab_quant/server/models.py` and `server_extension/schema/`.
 */

/** Price adjustment: 不复权 / 前复权 / 后复权. */
export type Adjust = 'none' | 'qfq' | 'hfq';

/** Bar frequency. */
export type Freq = '1d' | '1m' | '5m';

/** Instrument kinds the symbol search knows. */
export type SymbolKind = 'stock' | 'index' | 'etf' | 'futures';

export const ADJUSTS: readonly Adjust[] = ['none', 'qfq', 'hfq'];

/** Frequencies offered in the market panel. */
export const PANEL_FREQS: readonly Freq[] = ['1d', '1m'];

/** One dataset of the store, as reported by `GET /status`. */
export interface IDatasetInfo {
  name: string;
  rows: number;
  first?: string | null;
  last?: string | null;
}

/** `GET /status`. */
export interface IStatusResponse {
  name: string;
  version: string;
  api_version: number;
  home: string;
  datasets: IDatasetInfo[];
}

/** One instrument, as returned by `GET /symbols`. */
export interface ISymbolInfo {
  /** `CODE.EXCHANGE`, e.g. `600519.SH`. */
  symbol: string;
  code: string;
  name: string;
  kind: SymbolKind | string;
  exchange: string;
  board?: string | null;
  first_date?: string | null;
  last_date?: string | null;
}

/** `GET /symbols`. */
export interface ISymbolsResponse {
  items: ISymbolInfo[];
}

/** Column-oriented bar arrays of `GET /bars`. */
export interface IBarColumns {
  /** `YYYY-MM-DD` for daily bars, `YYYY-MM-DD HH:MM` for minute bars. */
  time: string[];
  open: (number | null)[];
  high: (number | null)[];
  low: (number | null)[];
  close: (number | null)[];
  /** Shares (股). */
  volume: (number | null)[];
  /** Yuan; null where the source has no amount. */
  amount?: (number | null)[] | null;
  /** The exchange's reference price (前收盘价). */
  preclose?: (number | null)[] | null;
  /** Suspended (停牌); for merged bars: every merged bar was suspended. */
  suspended: boolean[];
}

/** `GET /bars`. */
export interface IBarsResponse {
  symbol: string;
  name: string;
  freq: Freq;
  adjust: Adjust;
  /** Time of the first returned bar. */
  start: string;
  /** Time of the last returned bar (for merged bars: its first bar). */
  end: string;
  /** Bars in the range at full detail. */
  total: number;
  /** Consecutive bars merged into each returned bar (1 = full detail). */
  bucket: number;
  columns: string[];
  data: IBarColumns;
}

/** Query parameters of `GET /bars`. */
export interface IBarsQuery {
  symbol: string;
  adjust: Adjust;
  freq: Freq;
  start?: string;
  end?: string;
  max_points?: number;
}

/** Error body of every non-2xx answer. */
export interface IApiErrorBody {
  /** Machine readable name, e.g. `unknown_symbol`. */
  error: string;
  /** What went wrong and what to do (Chinese, English in parentheses). */
  message: string;
  hint?: string | null;
  /** Import errors: file, row and field at fault. */
  path?: string;
  row?: string;
  field?: string;
}
