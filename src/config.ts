/**
 * Live view of the plugin settings shared by every open panel.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { createTrans, ITrans, LanguageSetting } from './i18n';
import { ColorConvention } from './kline/colors';

/** Values of `schema/plugin.json`. */
export interface IQuantSettings {
  colorConvention: ColorConvention;
  language: LanguageSetting;
  maxPoints: number;
  defaultSymbol: string;
}

export const DEFAULT_SETTINGS: IQuantSettings = {
  colorConvention: 'red-up',
  language: 'zh',
  maxPoints: 5000,
  defaultSymbol: ''
};

/** Bounds of `maxPoints`, as in the schema. */
export const MAX_POINTS_RANGE = { min: 200, max: 20000 };

/** Read settings from a loose object, keeping defaults for bad values. */
export function normalizeSettings(
  raw: Partial<Record<keyof IQuantSettings, unknown>> | null | undefined
): IQuantSettings {
  const out = { ...DEFAULT_SETTINGS };
  if (!raw) {
    return out;
  }
  if (raw.colorConvention === 'red-up' || raw.colorConvention === 'green-up') {
    out.colorConvention = raw.colorConvention;
  }
  if (
    raw.language === 'auto' ||
    raw.language === 'zh' ||
    raw.language === 'en'
  ) {
    out.language = raw.language;
  }
  if (typeof raw.maxPoints === 'number' && Number.isFinite(raw.maxPoints)) {
    out.maxPoints = Math.round(
      Math.min(
        MAX_POINTS_RANGE.max,
        Math.max(MAX_POINTS_RANGE.min, raw.maxPoints)
      )
    );
  }
  if (typeof raw.defaultSymbol === 'string') {
    out.defaultSymbol = raw.defaultSymbol.trim();
  }
  return out;
}

/** Current settings and translator; `changed` fires when either changes. */
export class QuantConfig {
  constructor(trans: ITrans = createTrans('zh', null)) {
    this._trans = trans;
  }

  get settings(): IQuantSettings {
    return this._settings;
  }

  get trans(): ITrans {
    return this._trans;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  update(settings: IQuantSettings, trans: ITrans): void {
    this._settings = settings;
    this._trans = trans;
    this._changed.emit();
  }

  private _settings: IQuantSettings = { ...DEFAULT_SETTINGS };
  private _trans: ITrans;
  private _changed = new Signal<this, void>(this);
}
