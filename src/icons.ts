/**
 * Icons of the extension.
 */
import { LabIcon } from '@jupyterlab/ui-components';

/** Two candlesticks (one rising in red, one falling in green) on an axis. */
const CANDLESTICK_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M2 21h20v1.6H2z"/>
  <path fill="#d62728" d="M7.2 2.5h1.6v3H11v10H8.8v3.5H7.2V15.5H5v-10h2.2z"/>
  <path fill="#2ca02c" d="M15.2 6h1.6v3.5H19V17h-2.2v2.5h-1.6V17H13V9.5h2.2z"/>
</svg>`;

export const candlestickIcon = new LabIcon({
  name: 'jupyterlab-quant:candlestick',
  svgstr: CANDLESTICK_SVG
});
