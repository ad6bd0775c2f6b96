/**
 * Number formatting for the K-line labels and tooltip.
 */
import type { UiLanguage } from '../i18n';

/** Compact large numbers: 万/亿 in Chinese, K/M/B in English. */
export function formatCompact(
  value: number | null | undefined,
  language: UiLanguage
): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '-';
  }
  const abs = Math.abs(value);
  if (language === 'zh') {
    if (abs >= 1e8) {
      return `${trim(value / 1e8)}亿`;
    }
    if (abs >= 1e4) {
      return `${trim(value / 1e4)}万`;
    }
    return trim(value);
  }
  if (abs >= 1e9) {
    return `${trim(value / 1e9)}B`;
  }
  if (abs >= 1e6) {
    return `${trim(value / 1e6)}M`;
  }
  if (abs >= 1e3) {
    return `${trim(value / 1e3)}K`;
  }
  return trim(value);
}

/** A price with 2 decimals (3 below 10, for funds and deep 前复权 history). */
export function formatPrice(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '-';
  }
  return value.toFixed(Math.abs(value) < 10 ? 3 : 2);
}

/** A signed percentage with 2 decimals. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '-';
  }
  return `${value > 0 ? '+' : ''}${value.toFixed(2)}%`;
}

/** Thousands separators. */
export function formatInteger(value: number): string {
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function trim(value: number): string {
  return Number(value.toFixed(2)).toString();
}

/** Escape text put into the tooltip's HTML. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
