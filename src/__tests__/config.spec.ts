import { DEFAULT_SETTINGS, normalizeSettings, QuantConfig } from '../config';
import { createTrans } from '../i18n';

describe('normalizeSettings', () => {
  it('defaults to Chinese, red-up and 5000 points', () => {
    expect(normalizeSettings(null)).toEqual({
      colorConvention: 'red-up',
      language: 'zh',
      maxPoints: 5000,
      defaultSymbol: ''
    });
  });

  it('keeps valid values and rejects bad ones', () => {
    expect(
      normalizeSettings({
        colorConvention: 'green-up',
        language: 'auto',
        maxPoints: 1e9,
        defaultSymbol: ' 600519.SH '
      })
    ).toEqual({
      colorConvention: 'green-up',
      language: 'auto',
      maxPoints: 20000,
      defaultSymbol: '600519.SH'
    });
    expect(
      normalizeSettings({
        colorConvention: 'blue',
        language: 'fr',
        maxPoints: 'x'
      })
    ).toEqual(DEFAULT_SETTINGS);
  });
});

describe('QuantConfig', () => {
  it('signals changes', () => {
    const config = new QuantConfig();
    const seen: string[] = [];
    config.changed.connect(sender => seen.push(sender.trans.__('Market data')));
    config.update(DEFAULT_SETTINGS, createTrans('en', null));
    config.update(DEFAULT_SETTINGS, createTrans('zh', null));
    expect(seen).toEqual(['Market data', '行情']);
  });
});
