/**
 * The watchlist quote table: rows keyed by symbol, in-place updates, the
 * colour classes of up/down/flat/suspended under both conventions, the
 * attributes browser tests read, and the latency samples.
 */
import { createTrans } from '../i18n';
import {
  formatSigned,
  formatSignedPct,
  formatVolume,
  priceDecimals,
  quoteTrend,
  trendClass
} from '../live/format';
import type { IQuote } from '../models/live';
import { MIN_RENDERED_ROWS, WatchlistTable } from '../panels/watchlist/table';

function quote(symbol: string, partial: Partial<IQuote> = {}): IQuote {
  return {
    symbol,
    price: 10,
    preclose: 10,
    time: '2026-11-25T10:00:03',
    volume: 123_456,
    name: '',
    ...partial
  };
}

function cell(
  table: WatchlistTable,
  symbol: string,
  field: string
): HTMLElement {
  const td = table
    .row(symbol)
    ?.querySelector<HTMLElement>(`[data-field="${field}"]`);
  if (!td) {
    throw new Error(`no ${field} cell for ${symbol}`);
  }
  return td;
}

let table: WatchlistTable;

function makeTable(convention = 'red-up', language: 'zh' | 'en' = 'zh') {
  table = new WatchlistTable({
    trans: createTrans(language, null),
    convention
  });
  document.body.appendChild(table.node);
  return table;
}

beforeEach(() => {
  window.__jlqQuoteLatency = [];
  window.__jlqQuoteWireLatency = [];
});

afterEach(() => {
  table?.node.remove();
  table?.dispose();
});

describe('quote formatting', () => {
  it('finds the trend against preclose', () => {
    expect(quoteTrend(quote('a', { price: 10.01 }))).toBe('up');
    expect(quoteTrend(quote('a', { price: 9.99 }))).toBe('down');
    expect(quoteTrend(quote('a', { price: 10 }))).toBe('flat');
    expect(quoteTrend(quote('a', { price: null }))).toBe('suspended');
    expect(quoteTrend(quote('a', { price: 0 }))).toBe('suspended');
    expect(quoteTrend(quote('a', { preclose: null }))).toBe('flat');
    expect(quoteTrend(null)).toBe('none');
    // Float noise does not make a flat quote move.
    expect(quoteTrend(quote('a', { price: 0.1 + 0.2, preclose: 0.3 }))).toBe(
      'flat'
    );
  });

  it('maps trends to colours under both conventions', () => {
    expect(trendClass('up', 'red-up')).toBe('jp-QuantLive-red');
    expect(trendClass('down', 'red-up')).toBe('jp-QuantLive-green');
    expect(trendClass('up', 'green-up')).toBe('jp-QuantLive-green');
    expect(trendClass('down', 'green-up')).toBe('jp-QuantLive-red');
    expect(trendClass('flat', 'red-up')).toBe('jp-QuantLive-flat');
    expect(trendClass('suspended', 'green-up')).toBe('jp-QuantLive-suspended');
  });

  it('formats signed numbers, volumes and price precision', () => {
    expect(formatSigned(1.2345)).toBe('+1.23');
    expect(formatSigned(-0.5)).toBe('-0.50');
    expect(formatSigned(-0.001)).toBe('0.00');
    expect(formatSignedPct(0.0123)).toBe('+1.23%');
    expect(formatVolume(123_456, 'zh')).toBe('12.35万');
    expect(formatVolume(456_789_000, 'zh')).toBe('4.57亿');
    expect(formatVolume(123_456, 'en')).toBe('123.5K');
    expect(formatVolume(999, 'zh')).toBe('999');
    expect(priceDecimals('510300.SH')).toBe(3);
    expect(priceDecimals('159915.SZ')).toBe(3);
    expect(priceDecimals('600519.SH')).toBe(2);
    expect(priceDecimals('000001.SZ')).toBe(2);
  });
});

describe('WatchlistTable', () => {
  it('has one row per symbol with stable attributes', () => {
    makeTable();
    table.setSymbols(['600519.SH', '000001.SZ', '600519.SH']);
    expect(table.node.getAttribute('data-testid')).toBe('jlq-watchlist-table');
    expect(table.node.getAttribute('data-total')).toBe('2');
    const rows = table.node.querySelectorAll(
      '[data-testid="jlq-watchlist-row"]'
    );
    expect([...rows].map(r => r.getAttribute('data-symbol'))).toEqual([
      '600519.SH',
      '000001.SZ'
    ]);
    const fields = [
      ...rows[0].querySelectorAll('[role="cell"][data-field]')
    ].map(td => td.getAttribute('data-field'));
    expect(fields).toEqual([
      'symbol',
      'name',
      'price',
      'change',
      'pct',
      'volume',
      'time',
      'actions'
    ]);
    const headers = [
      ...table.node.querySelectorAll('[role="columnheader"]')
    ].map(th => th.textContent);
    expect(headers.slice(0, 7)).toEqual([
      '代码',
      '名称',
      '最新价',
      '涨跌',
      '涨跌幅',
      '成交量',
      '时间'
    ]);
    expect(rows[0].getAttribute('data-trend')).toBe('none');
  });

  it('updates cells in place, keeping the row elements', () => {
    makeTable();
    table.setSymbols(['600519.SH']);
    const row = table.row('600519.SH');
    const priceCell = cell(table, '600519.SH', 'price');
    const updated = table.applyQuotes(
      [
        quote('600519.SH', {
          price: 1512.5,
          preclose: 1480,
          name: '贵州茅台',
          volume: 2_345_600,
          time: '2026-11-25T14:59:58'
        }),
        quote('999999.SH') // not in the list: ignored
      ],
      1764053998000.25
    );
    expect(updated).toBe(1);
    expect(table.row('600519.SH')).toBe(row);
    expect(cell(table, '600519.SH', 'price')).toBe(priceCell);
    expect(priceCell.textContent).toBe('1512.50');
    expect(priceCell.getAttribute('data-updated')).toBe('1764053998000.25');
    expect(cell(table, '600519.SH', 'change').textContent).toBe('+32.50');
    expect(cell(table, '600519.SH', 'pct').textContent).toBe('+2.20%');
    expect(cell(table, '600519.SH', 'name').textContent).toBe('贵州茅台');
    expect(cell(table, '600519.SH', 'volume').textContent).toBe('234.56万');
    expect(cell(table, '600519.SH', 'time').textContent).toBe('14:59:58');
  });

  it.each([
    ['red-up', 'jp-QuantLive-red', 'jp-QuantLive-green'],
    ['green-up', 'jp-QuantLive-green', 'jp-QuantLive-red']
  ])(
    'colours up/down/flat/suspended under %s',
    (convention, upClass, downClass) => {
      makeTable(convention);
      table.setSymbols(['A.SH', 'B.SH', 'C.SH', 'D.SH']);
      table.applyQuotes([
        quote('A.SH', { price: 11, preclose: 10 }),
        quote('B.SH', { price: 9, preclose: 10 }),
        quote('C.SH', { price: 10, preclose: 10 }),
        quote('D.SH', { price: null, preclose: 10 })
      ]);
      const classes = (symbol: string) =>
        ['price', 'change', 'pct'].map(f => cell(table, symbol, f).className);
      for (const className of classes('A.SH')) {
        expect(className).toContain(upClass);
      }
      for (const className of classes('B.SH')) {
        expect(className).toContain(downClass);
      }
      for (const className of classes('C.SH')) {
        expect(className).toContain('jp-QuantLive-flat');
      }
      for (const className of classes('D.SH')) {
        expect(className).toContain('jp-QuantLive-suspended');
      }
      expect(table.row('A.SH')?.getAttribute('data-trend')).toBe('up');
      expect(table.row('B.SH')?.getAttribute('data-trend')).toBe('down');
      expect(table.row('C.SH')?.getAttribute('data-trend')).toBe('flat');
      expect(table.row('D.SH')?.getAttribute('data-trend')).toBe('suspended');
      expect(cell(table, 'D.SH', 'price').textContent).toBe('停牌');
      expect(cell(table, 'D.SH', 'change').textContent).toBe('—');
      expect(cell(table, 'C.SH', 'change').textContent).toBe('0.00');
      expect(cell(table, 'C.SH', 'pct').textContent).toBe('0.00%');
    }
  );

  it('recolours every row when the convention changes', () => {
    makeTable('red-up');
    table.setSymbols(['A.SH', 'B.SH']);
    table.applyQuotes([
      quote('A.SH', { price: 11 }),
      quote('B.SH', { price: 9 })
    ]);
    expect(cell(table, 'A.SH', 'price').className).toContain(
      'jp-QuantLive-red'
    );
    table.setConvention('green-up');
    expect(table.node.getAttribute('data-convention')).toBe('green-up');
    expect(cell(table, 'A.SH', 'price').className).toContain(
      'jp-QuantLive-green'
    );
    expect(cell(table, 'B.SH', 'pct').className).toContain('jp-QuantLive-red');
  });

  it('switches language (headers, 停牌, volumes)', () => {
    makeTable('red-up', 'zh');
    table.setSymbols(['A.SH']);
    table.applyQuotes([quote('A.SH', { price: null })]);
    expect(cell(table, 'A.SH', 'price').textContent).toBe('停牌');
    table.setTrans(createTrans('en', null));
    expect(cell(table, 'A.SH', 'price').textContent).toBe('Suspended');
    expect(cell(table, 'A.SH', 'volume').textContent).toBe('123.5K');
    expect(table.node.querySelector('[role="columnheader"]')?.textContent).toBe(
      'Code'
    );
  });

  it('moves, keeps and drops rows when the symbols change', () => {
    makeTable();
    table.setSymbols(['A.SH', 'B.SH', 'C.SH']);
    table.applyQuotes([quote('B.SH', { price: 12 })]);
    const rowB = table.row('B.SH');
    table.setSymbols(['C.SH', 'B.SH'], new Map([['C.SH', '名称C']]));
    expect(table.symbols).toEqual(['C.SH', 'B.SH']);
    expect(table.row('B.SH')).toBe(rowB);
    expect(table.row('A.SH')).toBeUndefined();
    expect(cell(table, 'B.SH', 'price').textContent).toBe('12.00');
    expect(cell(table, 'C.SH', 'name').textContent).toBe('名称C');
    expect(
      [...table.node.querySelectorAll('[data-testid="jlq-watchlist-row"]')].map(
        r => r.getAttribute('data-symbol')
      )
    ).toEqual(['C.SH', 'B.SH']);
  });

  it('asks to remove a row and to open one', () => {
    const onRemove = jest.fn();
    const onOpen = jest.fn();
    table = new WatchlistTable({
      trans: createTrans('zh', null),
      convention: 'red-up',
      onRemove,
      onOpen
    });
    document.body.appendChild(table.node);
    table.setSymbols(['A.SH']);
    const button = table
      .row('A.SH')
      ?.querySelector<HTMLButtonElement>('[data-action="remove"]');
    button?.click();
    expect(onRemove).toHaveBeenCalledWith('A.SH');
    cell(table, 'A.SH', 'name').dispatchEvent(
      new MouseEvent('dblclick', { bubbles: true })
    );
    expect(onOpen).toHaveBeenCalledWith('A.SH');
  });

  it('records the latency of each quotes message', () => {
    makeTable();
    table.setSymbols(['A.SH']);
    const receivedAt = performance.now();
    const sent = performance.timeOrigin + receivedAt - 12;
    table.applyQuotes([quote('A.SH', { price: 11 })], sent, receivedAt);
    expect(window.__jlqQuoteLatency).toHaveLength(1);
    expect(window.__jlqQuoteLatency?.[0]).toBeGreaterThanOrEqual(0);
    expect(window.__jlqQuoteWireLatency).toHaveLength(1);
    expect(window.__jlqQuoteWireLatency?.[0]).toBeCloseTo(12, 3);
    // Snapshots (hello) carry no `sent`: no sample, no data-updated.
    table.applyQuotes([quote('A.SH', { price: 12 })]);
    expect(window.__jlqQuoteLatency).toHaveLength(1);
    // A message for none of the rows: no sample either.
    table.applyQuotes([quote('Z.SH')], sent, receivedAt);
    expect(window.__jlqQuoteLatency).toHaveLength(1);
  });

  it('keeps 5,000 symbols but renders only the rows in view', () => {
    makeTable();
    // jsdom has no layout: give the grid a height and a scroll position.
    let scrollTop = 0;
    Object.defineProperty(table.node, 'clientHeight', { value: 480 });
    Object.defineProperty(table.node, 'scrollTop', {
      get: () => scrollTop,
      set: (value: number) => {
        scrollTop = value;
      }
    });
    const symbols = Array.from(
      { length: 5000 },
      (_, i) => `${String(600000 + i)}.SH`
    );
    table.setSymbols(symbols);
    expect(table.node.getAttribute('data-total')).toBe('5000');
    expect(table.renderedSymbols).toHaveLength(MIN_RENDERED_ROWS);
    expect(table.renderedSymbols[0]).toBe('600000.SH');

    const batch = (shift: number) =>
      symbols.map((symbol, i) =>
        quote(symbol, {
          price: 10 + (((i + shift) % 21) - 10) / 100,
          volume: 1000 * (i + shift)
        })
      );
    table.applyQuotes(batch(0), 1, performance.now());
    const start = performance.now();
    const updated = table.applyQuotes(batch(1), 2, start);
    const elapsed = performance.now() - start;
    expect(updated).toBe(5000);
    const stamped = table.node.querySelectorAll(
      '[data-field="price"][data-updated="2"]'
    );
    expect(stamped).toHaveLength(MIN_RENDERED_ROWS);
    // Off-screen symbols keep their latest quote...
    expect(table.quote('604999.SH')?.volume).toBe(1000 * 5000);
    expect(table.row('604999.SH')).toBeUndefined();
    // ...and show it once scrolled into view.
    table.scrollToSymbol('604999.SH');
    const last = cell(table, '604999.SH', 'price');
    expect(last.getAttribute('data-updated')).toBe('2');
    expect(cell(table, '604999.SH', 'volume').textContent).toBe('500.00万');
    expect(table.row('600000.SH')).toBeUndefined();
    expect(Number(table.node.getAttribute('data-last'))).toBe(4999);
    // Scrolling back renders the first rows again.
    scrollTop = 0;
    table.node.dispatchEvent(new Event('scroll'));
    expect(table.row('600000.SH')?.getAttribute('data-index')).toBe('0');
    // jsdom is far slower than a browser; this only catches a blow-up.
    expect(elapsed).toBeLessThan(500);
    expect(window.__jlqQuoteLatency).toHaveLength(2);
  });
});
