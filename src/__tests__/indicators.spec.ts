import { movingAverage, percentChange } from '../kline/indicators';

describe('movingAverage', () => {
  it('averages the last `period` closes and leaves the warm-up empty', () => {
    expect(movingAverage([1, 2, 3, 4, 5], 3)).toEqual([null, null, 2, 3, 4]);
  });

  it('skips suspended bars (停牌) instead of counting them', () => {
    const close = [10, 11, 11, 12, 13];
    const suspended = [false, false, true, false, false];
    // Trading closes are 10, 11, 12, 13: MA2 = 10.5, -, 11.5, 12.5.
    expect(movingAverage(close, 2, suspended)).toEqual([
      null,
      10.5,
      null,
      11.5,
      12.5
    ]);
  });

  it('treats missing closes like non-trading bars', () => {
    expect(movingAverage([2, null, 4, undefined, 6], 2)).toEqual([
      null,
      null,
      3,
      null,
      5
    ]);
  });

  it('gives MA1 = close and rejects a bad period', () => {
    expect(movingAverage([3, 4], 1)).toEqual([3, 4]);
    expect(() => movingAverage([1], 0)).toThrow(RangeError);
    expect(() => movingAverage([1], 2.5)).toThrow(RangeError);
  });

  it('stays accurate over long series', () => {
    const close = Array.from({ length: 5000 }, (_, i) => 100 + Math.sin(i));
    const ma = movingAverage(close, 60);
    const i = 4999;
    const expected = close.slice(i - 59, i + 1).reduce((a, b) => a + b) / 60;
    expect(ma[i]).toBeCloseTo(expected, 9);
  });
});

describe('percentChange', () => {
  it('is relative to the reference price', () => {
    expect(percentChange(110, 100)).toBeCloseTo(10);
    expect(percentChange(90, 100)).toBeCloseTo(-10);
    expect(percentChange(90, null)).toBeNull();
    expect(percentChange(90, 0)).toBeNull();
  });
});
