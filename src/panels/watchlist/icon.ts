/**
 * Icon of the watchlist panel (自选): a star over quote lines.
 *
 * Kept apart from the panel so that the plugin can show it at activation
 * without loading the panel.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const WATCHLIST_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path fill="#d62728" d="M8 1.5l1.9 3.9 4.3.6-3.1 3 .7 4.3L8 11.3l-3.8 2 .7-4.3-3.1-3 4.3-.6z"/>
  <path class="jp-icon3" fill="#616161" d="M15 6h7v1.8h-7zM15 11h7v1.8h-7zM3 16h19v1.8H3zM3 20.5h19v1.8H3z"/>
</svg>`;

export const watchlistIcon = new LabIcon({
  name: 'jupyterlab-quant:watchlist',
  svgstr: WATCHLIST_SVG
});
