/**
 * Helpers for A-share symbols (`CODE.EXCHANGE`, e.g. `600519.SH`).
 */

const FULL_SYMBOL =
  /^([0-9A-Z]{1,10})\.(SH|SZ|BJ|SHFE|DCE|CZCE|CFFEX|INE|GFEX)$/i;
const BARE_CODE = /^\d{6}$/;

/**
 * Turn user input into a symbol when it looks like one: `600519.sh` →
 * `600519.SH`, `au0.shfe` → `AU0.SHFE`; a bare 6-digit code gets the exchange its prefix implies
 * (6/5/9 → SH, 0/1/2/3 → SZ, 4/8/92 → BJ). Returns null for anything else.
 */
export function guessSymbol(input: string): string | null {
  const text = input.trim();
  const full = FULL_SYMBOL.exec(text);
  if (full) {
    return `${full[1].toUpperCase()}.${full[2].toUpperCase()}`;
  }
  if (!BARE_CODE.test(text)) {
    return null;
  }
  if (text.startsWith('92') || text[0] === '4' || text[0] === '8') {
    return `${text}.BJ`;
  }
  if (text[0] === '6' || text[0] === '5' || text[0] === '9') {
    return `${text}.SH`;
  }
  return `${text}.SZ`;
}
