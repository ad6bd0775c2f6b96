/**
 * Colours of the K-line: the up/down convention and the JupyterLab theme.
 */

/** `red-up` is the A-share convention (涨红跌绿); `green-up` the western one. */
export type ColorConvention = 'red-up' | 'green-up';

export const RED = '#d62728';
export const GREEN = '#2ca02c';
/** Suspended (停牌) bars. */
export const SUSPENDED_GREY = '#9e9e9e';

/** Moving-average line colours, in MA5/MA10/MA20/MA60 order. */
export const MA_COLORS = ['#e6a700', '#1f77b4', '#9467bd', '#8c564b'];

export interface ITrendColors {
  /** Colour of a rising bar (close above open). */
  up: string;
  /** Colour of a falling bar. */
  down: string;
}

/** Map the colour convention setting to up/down colours. */
export function trendColors(
  convention: ColorConvention | string | null | undefined
): ITrendColors {
  return convention === 'green-up'
    ? { up: GREEN, down: RED }
    : { up: RED, down: GREEN };
}

/** Colours taken from the JupyterLab theme. */
export interface IThemeColors {
  background: string;
  panel: string;
  text: string;
  textMuted: string;
  border: string;
  grid: string;
  accent: string;
  fontFamily: string;
}

/** Fallbacks (JupyterLab light theme) for when a variable is missing. */
export const LIGHT_FALLBACK: IThemeColors = {
  background: '#ffffff',
  panel: '#eeeeee',
  text: 'rgba(0, 0, 0, 0.87)',
  textMuted: 'rgba(0, 0, 0, 0.54)',
  border: '#bdbdbd',
  grid: '#e0e0e0',
  accent: '#1976d2',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", sans-serif'
};

const THEME_VARIABLES: Record<keyof IThemeColors, string> = {
  background: '--jp-layout-color0',
  panel: '--jp-layout-color2',
  text: '--jp-ui-font-color1',
  textMuted: '--jp-ui-font-color2',
  border: '--jp-border-color1',
  grid: '--jp-border-color2',
  accent: '--jp-brand-color1',
  fontFamily: '--jp-ui-font-family'
};

/**
 * Read the theme colours from JupyterLab's CSS variables (ECharts draws on a
 * canvas and cannot use `var(--…)` itself).
 */
export function readThemeColors(
  element: Element = document.body,
  fallback: IThemeColors = LIGHT_FALLBACK
): IThemeColors {
  const style = window.getComputedStyle(element);
  const colors = { ...fallback };
  for (const key of Object.keys(THEME_VARIABLES) as (keyof IThemeColors)[]) {
    const value = style.getPropertyValue(THEME_VARIABLES[key]).trim();
    if (value) {
      colors[key] = value;
    }
  }
  return colors;
}
