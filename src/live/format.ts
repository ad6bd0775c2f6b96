/**
 * How live numbers are shown: price precision, signed changes, volumes in
 * 万/亿, and the colour of a move after the up/down convention (A-share:
 * red up, green down; western: green up, red down).
 *
 * Hot path of the watchlist (5,000 symbols every 3 s): keep these cheap.
 */
import type { ITrans } from '../i18n';
import type { ColorConvention } from '../kline/colors';
import type { ILocalizedText, IQuote } from '../models/live';

/** Direction of a move; `suspended`: no price (停牌); `none`: no quote yet. */
export type Trend = 'up' | 'down' | 'flat' | 'suspended' | 'none';

/** Colour class suffix of a trend: `jp-QuantLive-<tone>`. */
export type TrendTone = 'red' | 'green' | 'flat' | 'suspended';

/** Placeholder of a missing number. */
export const DASH = '—';

/** Trend of a quote against its 前收盘. */
export function quoteTrend(quote: IQuote | null | undefined): Trend {
  if (!quote) {
    return 'none';
  }
  const price = quote.price;
  if (price === null || price === undefined || !(price > 0)) {
    return 'suspended';
  }
  const preclose = quote.preclose;
  if (preclose === null || preclose === undefined || !(preclose > 0)) {
    return 'flat';
  }
  // Prices have at most 3 decimals: compare in thousandths.
  const diff = Math.round(price * 1000) - Math.round(preclose * 1000);
  return diff > 0 ? 'up' : diff < 0 ? 'down' : 'flat';
}

/** Trend of a signed number (P&L, returns). */
export function valueTrend(value: number | null | undefined): Trend {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return 'none';
  }
  return value > 0 ? 'up' : value < 0 ? 'down' : 'flat';
}

/** Colour of a trend under `convention`. */
export function trendTone(
  trend: Trend,
  convention: ColorConvention | string
): TrendTone {
  switch (trend) {
    case 'up':
      return convention === 'green-up' ? 'green' : 'red';
    case 'down':
      return convention === 'green-up' ? 'red' : 'green';
    case 'suspended':
      return 'suspended';
    default:
      return 'flat';
  }
}

/** CSS class of a trend under `convention`, e.g. `jp-QuantLive-red`. */
export function trendClass(
  trend: Trend,
  convention: ColorConvention | string
): string {
  return `jp-QuantLive-${trendTone(trend, convention)}`;
}

/**
 * Decimals of a symbol's prices: 3 for funds and ETFs (tick 0.001: SH 5xxxxx,
 * SZ 1xxxxx), 2 for stocks and indices.
 */
export function priceDecimals(symbol: string): number {
  const code = symbol.charCodeAt(0);
  if (symbol.endsWith('.SH') && code === 53 /* 5 */) {
    return 3;
  }
  if (symbol.endsWith('.SZ') && code === 49 /* 1 */) {
    return 3;
  }
  return 2;
}

/** A price with `decimals` places, or {@link DASH}. */
export function formatPrice(
  value: number | null | undefined,
  decimals = 2
): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? DASH
    : value.toFixed(decimals);
}

/** A signed number: `+1.23`, `-0.50`, `0.00`. */
export function formatSigned(
  value: number | null | undefined,
  decimals = 2
): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return DASH;
  }
  const text = Math.abs(value).toFixed(decimals);
  if (Number(text) === 0) {
    return text;
  }
  return value > 0 ? `+${text}` : `-${text}`;
}

/** A fraction as a signed percentage: 0.0123 → `+1.23%`. */
export function formatSignedPct(
  fraction: number | null | undefined,
  decimals = 2
): string {
  if (
    fraction === null ||
    fraction === undefined ||
    !Number.isFinite(fraction)
  ) {
    return DASH;
  }
  return `${formatSigned(fraction * 100, decimals)}%`;
}

/** A fraction as a percentage: 0.123 → `12.30%`. */
export function formatPct(
  fraction: number | null | undefined,
  decimals = 2
): string {
  if (
    fraction === null ||
    fraction === undefined ||
    !Number.isFinite(fraction)
  ) {
    return DASH;
  }
  return `${(fraction * 100).toFixed(decimals)}%`;
}

/**
 * A large count, short: 12,345 → `1.23万` (zh) / `12.3K` (en);
 * 456,789,000 → `4.57亿` / `456.8M`.
 */
export function formatVolume(
  value: number | null | undefined,
  language: 'zh' | 'en' = 'zh'
): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return DASH;
  }
  const abs = Math.abs(value);
  if (language === 'zh') {
    if (abs >= 1e8) {
      return `${(value / 1e8).toFixed(2)}亿`;
    }
    if (abs >= 1e4) {
      return `${(value / 1e4).toFixed(2)}万`;
    }
    return String(Math.round(value));
  }
  if (abs >= 1e9) {
    return `${(value / 1e9).toFixed(2)}B`;
  }
  if (abs >= 1e6) {
    return `${(value / 1e6).toFixed(2)}M`;
  }
  if (abs >= 1e4) {
    return `${(value / 1e3).toFixed(1)}K`;
  }
  return String(Math.round(value));
}

/** Yuan with thousands separators and 2 decimals: `1,234,567.80`. */
export function formatMoney(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return DASH;
  }
  const [whole, cents] = Math.abs(value).toFixed(2).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value < 0 ? '-' : ''}${grouped}.${cents}`;
}

/** Signed yuan: `+1,234.50`. */
export function formatSignedMoney(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return DASH;
  }
  const text = formatMoney(Math.abs(value));
  if (text === '0.00') {
    return text;
  }
  return value > 0 ? `+${text}` : `-${text}`;
}

/** The clock part of an exchange time `YYYY-MM-DDTHH:MM:SS` → `HH:MM:SS`. */
export function formatClock(time: string | null | undefined): string {
  if (!time) {
    return DASH;
  }
  const t = time.indexOf('T');
  const at = t >= 0 ? t : time.indexOf(' ');
  return at >= 0 ? time.slice(at + 1, at + 9) : time;
}

/** Exchange time `YYYY-MM-DDTHH:MM:SS` shown as `YYYY-MM-DD HH:MM:SS`. */
export function formatExchangeTime(time: string | null | undefined): string {
  return time ? time.replace('T', ' ').slice(0, 19) : DASH;
}

/** A number of unknown scale, short: 4 significant digits, no exponent. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return DASH;
  }
  if (Number.isInteger(value)) {
    return String(value);
  }
  const abs = Math.abs(value);
  const decimals = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 4;
  return String(Number(value.toFixed(decimals)));
}

/** The server's two-language text in the UI language. */
export function localized(
  text: ILocalizedText | string | null | undefined,
  trans: Pick<ITrans, 'language'>
): string {
  if (!text) {
    return '';
  }
  if (typeof text === 'string') {
    return text;
  }
  return (
    (trans.language === 'en' ? text.en || text.zh : text.zh || text.en) ?? ''
  );
}
