import { createTrans, formatMessage, resolveLanguage, ZH_CN } from '../i18n';

describe('resolveLanguage', () => {
  it('follows an explicit setting', () => {
    expect(resolveLanguage('zh', 'en')).toBe('zh');
    expect(resolveLanguage('en', 'zh_CN')).toBe('en');
  });

  it('follows JupyterLab on auto', () => {
    expect(resolveLanguage('auto', 'zh-CN')).toBe('zh');
    expect(resolveLanguage('auto', 'zh_TW')).toBe('zh');
    expect(resolveLanguage('auto', 'en')).toBe('en');
    expect(resolveLanguage('auto', 'fr_FR')).toBe('en');
    expect(resolveLanguage('auto', undefined)).toBe('en');
    expect(resolveLanguage(undefined, 'ZH')).toBe('zh');
  });
});

describe('createTrans', () => {
  it('translates through the zh-CN catalogue with arguments', () => {
    const trans = createTrans('zh', null);
    expect(trans.__('Market data')).toBe('行情');
    expect(trans.__('Forward adjusted')).toBe('前复权');
    expect(trans.__('Loading %1…', '600519.SH')).toBe('正在加载 600519.SH…');
  });

  it('falls back to the English source for unknown strings', () => {
    const trans = createTrans('zh', null);
    expect(trans.__('Not in catalogue %1', 3)).toBe('Not in catalogue 3');
  });

  it("uses JupyterLab's bundle for English and missing strings", () => {
    const bundle = { __: jest.fn((id: string) => `lab:${id}`) };
    expect(createTrans('en', bundle).__('Market data')).toBe('lab:Market data');
    expect(createTrans('zh', bundle).__('Market data')).toBe('行情');
    expect(createTrans('zh', bundle).__('Other')).toBe('lab:Other');
  });

  it('has a complete, placeholder-consistent catalogue', () => {
    for (const [source, zh] of Object.entries(ZH_CN)) {
      expect(zh.trim()).not.toBe('');
      const placeholders = (s: string) => (s.match(/%\d/g) ?? []).sort();
      expect(placeholders(zh)).toEqual(placeholders(source));
    }
  });
});

describe('formatMessage', () => {
  it('keeps unmatched placeholders', () => {
    expect(formatMessage('%1 to %2', ['a'])).toBe('a to %2');
  });
});
