/**
 * Icon of the strategy library (策略库): a document with a padlock.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const STRATEGY_LIBRARY_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M5 2h9l5 5v6h-1.8V8h-4V3.8H6.8v16.4H11V22H5z"/>
  <path fill="#d62728" d="M14 16v-1.5a2.5 2.5 0 0 1 5 0V16h1v6h-7v-6zm1.5 0h2v-1.5a1 1 0 0 0-2 0z"/>
</svg>`;

export const strategyLibraryIcon = new LabIcon({
  name: 'jupyterlab-quant:strategy-library',
  svgstr: STRATEGY_LIBRARY_SVG
});
