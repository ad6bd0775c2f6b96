/**
 * Identifiers shared across the frontend.
 */

/** Plugin id (also the settings schema id: `schema/plugin.json`). */
export const PLUGIN_ID = 'jupyterlab-quant:plugin';

export namespace CommandIDs {
  /** Open the market data panel; optional arg `symbol` (e.g. `600519.SH`). */
  export const openMarket = 'jupyterlab-quant:open-market';
}

/** Namespace of the market panel tracker (layout restorer). */
export const MARKET_TRACKER_NAMESPACE = 'jupyterlab-quant-market';

/** Commands of live monitoring: the risk (风控) and watchlist (自选) panels. */
export namespace LiveCommandIDs {
  /** Open the risk panel (rules, live status, alerts, channels). */
  export const openRisk = 'jupyterlab-quant:open-risk';
  /** Open the watchlist (live quotes). */
  export const openWatchlist = 'jupyterlab-quant:open-watchlist';
}

/** Namespaces of the risk and watchlist panel trackers (layout restorer). */
export const RISK_TRACKER_NAMESPACE = 'jupyterlab-quant-risk';
export const WATCHLIST_TRACKER_NAMESPACE = 'jupyterlab-quant-watchlist';
