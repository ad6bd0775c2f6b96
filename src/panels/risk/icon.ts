/**
 * Icon of the risk panel (风控): a shield with an alert mark.
 *
 * Kept apart from the panel so that the plugin can show it at activation
 * without loading the panel.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const RISK_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M12 1.5L3 5v6.2c0 5.4 3.8 10.2 9 11.3 5.2-1.1 9-5.9 9-11.3V5zm0 2l7 2.7v5c0 4.4-3 8.4-7 9.4-4-1-7-5-7-9.4v-5z"/>
  <path fill="#d62728" d="M11 7h2v6.5h-2zM11 15.2h2v2.1h-2z"/>
</svg>`;

export const riskIcon = new LabIcon({
  name: 'jupyterlab-quant:risk',
  svgstr: RISK_SVG
});
