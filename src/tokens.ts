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
