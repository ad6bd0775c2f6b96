import {
  ceilIndex,
  defaultWindow,
  expandWindow,
  floorIndex,
  IZoomState,
  planZoom,
  windowForRange
} from '../kline/zoom';

const base: IZoomState = {
  length: 5000,
  bucket: 1,
  startIndex: 0,
  endIndex: 4999,
  maxPoints: 5000,
  isDetail: false,
  coversHistoryStart: true,
  coversHistoryEnd: true
};

describe('planZoom', () => {
  it('does nothing at full detail', () => {
    expect(planZoom({ ...base, startIndex: 100, endIndex: 200 })).toEqual({
      kind: 'none'
    });
  });

  it('does nothing while the whole bucketed range is visible', () => {
    // 5000 buckets of 8 bars: a finer fetch would be bucketed again just as much.
    expect(planZoom({ ...base, bucket: 8 })).toEqual({ kind: 'none' });
  });

  it('drills to full detail when the visible bars fit, with padding', () => {
    // 100 buckets × 8 = 800 bars visible; padding fills up to maxPoints.
    const plan = planZoom({
      ...base,
      bucket: 8,
      startIndex: 2000,
      endIndex: 2099
    });
    expect(plan.kind).toBe('drill');
    if (plan.kind !== 'drill') {
      return;
    }
    expect(plan.bucket).toBe(1);
    expect(plan.fromIndex).toBeLessThan(2000);
    expect(plan.toIndex).toBeGreaterThan(2099);
    const fetchedBars = (plan.toIndex - plan.fromIndex + 1) * 8;
    expect(fetchedBars).toBeLessThanOrEqual(5000 + 8);
    expect(fetchedBars).toBeGreaterThan(4000);
  });

  it('drills to an intermediate bucket for very long histories', () => {
    // Minute bars: 5000 buckets of 100 bars; half the range is 250 000 bars.
    const plan = planZoom({
      ...base,
      bucket: 100,
      startIndex: 2500,
      endIndex: 4999
    });
    expect(plan).toMatchObject({ kind: 'drill', bucket: 63 });
  });

  it('moves padding a side cannot use to the other side', () => {
    // 50 buckets × 5 = 250 recent bars visible; 1000 bars may be fetched.
    const recent = planZoom({
      ...base,
      length: 984,
      bucket: 5,
      maxPoints: 1000,
      startIndex: 934,
      endIndex: 983
    });
    expect(recent).toEqual({
      kind: 'drill',
      fromIndex: 784,
      toIndex: 983,
      bucket: 1
    });
    const oldest = planZoom({ ...base, bucket: 8, startIndex: 0, endIndex: 9 });
    expect(oldest).toMatchObject({ kind: 'drill', fromIndex: 0 });
    if (oldest.kind === 'drill') {
      expect((oldest.toIndex + 1) * 8).toBeLessThanOrEqual(5000);
      expect((oldest.toIndex + 1) * 8).toBeGreaterThan(4900);
    }
  });

  it('goes back up when a detail view is panned to its edge', () => {
    const detail = {
      ...base,
      isDetail: true,
      coversHistoryStart: false,
      coversHistoryEnd: false
    };
    expect(planZoom({ ...detail, startIndex: 0, endIndex: 300 })).toEqual({
      kind: 'up',
      zoomOut: false
    });
    expect(planZoom({ ...detail, startIndex: 4000, endIndex: 4999 })).toEqual({
      kind: 'up',
      zoomOut: false
    });
    expect(planZoom({ ...detail, startIndex: 0, endIndex: 4999 })).toEqual({
      kind: 'up',
      zoomOut: true
    });
    expect(planZoom({ ...detail, startIndex: 10, endIndex: 300 })).toEqual({
      kind: 'none'
    });
  });

  it('stays in a detail view whose edge is the start of history', () => {
    expect(
      planZoom({
        ...base,
        isDetail: true,
        coversHistoryStart: true,
        coversHistoryEnd: false,
        startIndex: 0,
        endIndex: 300
      })
    ).toEqual({ kind: 'none' });
  });

  it('ignores empty views', () => {
    expect(planZoom({ ...base, length: 0 })).toEqual({ kind: 'none' });
  });
});

describe('expandWindow', () => {
  it('widens around the centre and stays inside the view', () => {
    expect(expandWindow([40, 59], 2, 100)).toEqual([30, 69]);
    expect(expandWindow([0, 19], 2, 100)).toEqual([0, 39]);
    expect(expandWindow([90, 99], 3, 100)).toEqual([70, 99]);
    expect(expandWindow([10, 80], 4, 100)).toEqual([0, 99]);
  });
});

describe('time lookups', () => {
  const times = ['2024-01-02', '2024-01-03', '2024-01-05', '2024-01-08'];

  it('finds floor and ceiling indices', () => {
    expect(floorIndex(times, '2024-01-04')).toBe(1);
    expect(floorIndex(times, '2024-01-05')).toBe(2);
    expect(floorIndex(times, '2023-12-31')).toBe(0);
    expect(ceilIndex(times, '2024-01-04')).toBe(2);
    expect(ceilIndex(times, '2025-01-01')).toBe(3);
  });

  it('maps a visible range onto bucket starts', () => {
    expect(windowForRange(times, '2024-01-03', '2024-01-06')).toEqual([1, 2]);
    expect(windowForRange([], 'a', 'b')).toEqual([0, 0]);
  });

  it('orders minute times after their day', () => {
    const minutes = [
      '2020-07-01 09:31',
      '2020-07-01 09:32',
      '2020-07-02 09:31'
    ];
    expect(ceilIndex(minutes, '2020-07-02')).toBe(2);
    expect(floorIndex(minutes, '2020-07-01 09:32')).toBe(1);
  });

  it('defaults to the most recent bars', () => {
    expect(defaultWindow(4800, 250)).toEqual([4550, 4799]);
    expect(defaultWindow(100, 250)).toEqual([0, 99]);
    expect(defaultWindow(0, 250)).toEqual([0, 0]);
  });
});
