/**
 * Indicators computed in the browser from the bars being shown.
 */

/** Moving-average periods drawn on the K-line. */
export const MA_PERIODS = [5, 10, 20, 60] as const;

/**
 * Simple moving average of `close` over `period` trading bars.
 *
 * Suspended bars (停牌) and bars without a close are not trading bars: they
 * are skipped by the window and get `null` (the line bridges them).
 * The first `period - 1` trading bars get `null` too.
 */
export function movingAverage(
  close: readonly (number | null | undefined)[],
  period: number,
  suspended?: readonly (boolean | null | undefined)[] | null
): (number | null)[] {
  if (!Number.isInteger(period) || period < 1) {
    throw new RangeError(`period must be a positive integer, got ${period}`);
  }
  const out: (number | null)[] = new Array(close.length).fill(null);
  const window: number[] = [];
  let sum = 0;
  for (let i = 0; i < close.length; i++) {
    const value = close[i];
    if (suspended?.[i] || value === null || value === undefined) {
      continue;
    }
    if (!Number.isFinite(value)) {
      continue;
    }
    window.push(value);
    sum += value;
    if (window.length > period) {
      sum -= window.shift() as number;
    }
    if (window.length === period) {
      out[i] = sum / period;
    }
  }
  return out;
}

/** Percent change of `close` against `reference` (null when unknown). */
export function percentChange(
  close: number | null | undefined,
  reference: number | null | undefined
): number | null {
  if (
    close === null ||
    close === undefined ||
    reference === null ||
    reference === undefined ||
    reference === 0
  ) {
    return null;
  }
  return (close / reference - 1) * 100;
}
