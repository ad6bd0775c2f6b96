/**
 * Icon of the backtest panel (回测): an equity curve over a benchmark line.
 *
 * Kept apart from the panel so that the plugin can show it at activation
 * without loading the panel.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const BACKTEST_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M2 2h1.6v18.4H22V22H2z"/>
  <path fill="none" stroke="#9e9e9e" stroke-width="1.6" stroke-dasharray="2 1.6" d="M5 17.5l15-5"/>
  <path fill="none" stroke="#d62728" stroke-width="2" stroke-linejoin="round" d="M5 16l3.5-4 3 2.5 4-7 2.5 3 3-5"/>
</svg>`;

export const backtestIcon = new LabIcon({
  name: 'jupyterlab-quant:backtest',
  svgstr: BACKTEST_SVG
});
