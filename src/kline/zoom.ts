/**
 * Level-of-detail decisions for the K-line.
 *
 * The server merges consecutive bars into buckets when a range holds more
 * bars than `max_points`. When the user zooms into a bucketed range, the
 * visible part is fetched again with finer (ideally full) detail; when the
 * user zooms or pans out of such a detail view, the coarser parent view is
 * shown again.
 */

/** Share of `maxPoints` used by the visible window; the rest is padding. */
export const VISIBLE_SHARE = 0.8;

export interface IZoomState {
  /** Bars in the view being shown. */
  length: number;
  /** Bars merged per shown bar (1 = full detail). */
  bucket: number;
  /** First visible index (inclusive). */
  startIndex: number;
  /** Last visible index (inclusive). */
  endIndex: number;
  /** Most bars to draw at once. */
  maxPoints: number;
  /** True when this view is a zoomed-in detail of a coarser view. */
  isDetail: boolean;
  /** The view starts at the first bar of the whole history. */
  coversHistoryStart: boolean;
  /** The view ends at the last bar of the whole history. */
  coversHistoryEnd: boolean;
}

export type ZoomPlan =
  | { kind: 'none' }
  /**
   * Go back to the coarser parent view. `zoomOut` is true when the whole
   * detail view is visible (the user zoomed out past it, so the parent's
   * window should be wider), false when the user panned to one of its edges.
   */
  | { kind: 'up'; zoomOut: boolean }
  /** Fetch the bars of view indices `fromIndex..toIndex` in finer detail. */
  | { kind: 'drill'; fromIndex: number; toIndex: number; bucket: number };

/** Decide what to do after the visible window changed. */
export function planZoom(state: IZoomState): ZoomPlan {
  const { length, bucket, maxPoints } = state;
  if (length <= 0 || maxPoints <= 0) {
    return { kind: 'none' };
  }
  const start = clamp(
    Math.min(state.startIndex, state.endIndex),
    0,
    length - 1
  );
  const end = clamp(Math.max(state.startIndex, state.endIndex), 0, length - 1);

  if (state.isDetail) {
    const atStart = start <= 0;
    const atEnd = end >= length - 1;
    const leftEdge = atStart && !state.coversHistoryStart;
    const rightEdge = atEnd && !state.coversHistoryEnd;
    if (leftEdge || rightEdge) {
      return { kind: 'up', zoomOut: atStart && atEnd };
    }
  }
  if (bucket <= 1) {
    return { kind: 'none' };
  }
  const visibleBars = (end - start + 1) * bucket;
  const target = Math.max(1, Math.floor(maxPoints * VISIBLE_SHARE));
  const nextBucket = Math.max(1, Math.ceil(visibleBars / target));
  if (nextBucket >= bucket) {
    return { kind: 'none' };
  }
  // Fetch about `maxPoints * nextBucket` bars around the window; padding a
  // side cannot use (start or end of the view) goes to the other side.
  const budget = maxPoints * nextBucket;
  const pad = Math.max(0, Math.floor((budget - visibleBars) / bucket));
  let left = Math.floor(pad / 2);
  let right = pad - left;
  if (start - left < 0) {
    right += left - start;
    left = start;
  }
  if (end + right > length - 1) {
    left = Math.min(start, left + (end + right - (length - 1)));
    right = length - 1 - end;
  }
  return {
    kind: 'drill',
    fromIndex: start - left,
    toIndex: end + right,
    bucket: nextBucket
  };
}

/**
 * Widen `window` by `factor` around its centre, within `[0, length - 1]`
 * (shifted rather than cut when it hits an end).
 */
export function expandWindow(
  window: readonly [number, number],
  factor: number,
  length: number
): [number, number] {
  if (length <= 0) {
    return [0, 0];
  }
  const span = Math.min(
    length,
    Math.max(1, Math.round((window[1] - window[0] + 1) * factor))
  );
  const centre = (window[0] + window[1]) / 2;
  let start = Math.round(centre - (span - 1) / 2);
  start = clamp(start, 0, length - span);
  return [start, start + span - 1];
}

/** Index of the last element `<= value` in sorted `times` (0 if none). */
export function floorIndex(times: readonly string[], value: string): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] <= value) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return Math.max(0, lo - 1);
}

/** Index of the first element `>= value` in sorted `times` (length-1 if none). */
export function ceilIndex(times: readonly string[], value: string): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < value) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return Math.min(times.length - 1, lo);
}

/**
 * Map a visible time range onto another view's times: the window that
 * covers `[first, last]` (bucket starts are matched with `floorIndex`).
 */
export function windowForRange(
  times: readonly string[],
  first: string,
  last: string
): [number, number] {
  if (times.length === 0) {
    return [0, 0];
  }
  const a = floorIndex(times, first);
  const b = floorIndex(times, last);
  return [Math.min(a, b), Math.max(a, b)];
}

/** The default window: the last `count` bars. */
export function defaultWindow(length: number, count: number): [number, number] {
  if (length <= 0) {
    return [0, 0];
  }
  return [Math.max(0, length - count), length - 1];
}

/** `YYYY-MM-DD` part of a bar time (`YYYY-MM-DD HH:MM` for minute bars). */
export function datePart(time: string): string {
  return time.slice(0, 10);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
