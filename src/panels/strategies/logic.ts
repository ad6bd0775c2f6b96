/**
 * Logic of the strategy version history (策略版本历史): unified-diff
 * parsing, formats, and {@link StrategyHistory}, the state machine behind the
 * view (load, show a version, diff two, restore, hand one to the backtest
 * panel). No DOM or React here, so it is unit-tested directly.
 */
import type { StrategyClient } from '../../api';
import type { ITrans } from '../../i18n';
import type { IStrategySaved, IStrategyVersion } from '../../models';

/** The calls the history makes (a {@link StrategyClient}, or a test double). */
export type IHistoryApi = Pick<
  StrategyClient,
  'versions' | 'get' | 'diff' | 'restore'
>;

/** A version handed to the backtest panel ("回测此版本"). */
export interface IStrategyVersionRef {
  name: string;
  version: number;
}

/** Kind of a line of a unified diff. */
export type DiffLineKind = 'add' | 'del' | 'context' | 'hunk' | 'meta';

/** One line of a unified diff, classified for colouring. */
export interface IDiffLine {
  kind: DiffLineKind;
  text: string;
  /** Line number in the old version (del/context). */
  oldLine: number | null;
  /** Line number in the new version (add/context). */
  newLine: number | null;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** Split a unified diff into classified lines with old/new line numbers. */
export function parseUnifiedDiff(diff: string): IDiffLine[] {
  const out: IDiffLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  const lines = diff.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  for (const text of lines) {
    const hunk = HUNK.exec(text);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      out.push({ kind: 'hunk', text, oldLine: null, newLine: null });
    } else if (
      text.startsWith('---') ||
      text.startsWith('+++') ||
      text.startsWith('\\')
    ) {
      out.push({ kind: 'meta', text, oldLine: null, newLine: null });
    } else if (text.startsWith('+')) {
      out.push({ kind: 'add', text, oldLine: null, newLine: newLine++ });
    } else if (text.startsWith('-')) {
      out.push({ kind: 'del', text, oldLine: oldLine++, newLine: null });
    } else {
      out.push({
        kind: 'context',
        text,
        oldLine: oldLine++,
        newLine: newLine++
      });
    }
  }
  return out;
}

/** Added and removed line counts of a parsed diff. */
export function diffStats(lines: readonly IDiffLine[]): {
  added: number;
  removed: number;
} {
  let added = 0;
  let removed = 0;
  for (const line of lines) {
    if (line.kind === 'add') {
      added++;
    } else if (line.kind === 'del') {
      removed++;
    }
  }
  return { added, removed };
}

/** Bytes as `512 B`, `1.5 KB`, `2.0 MB`. */
export function formatBytes(size: number): string {
  if (!Number.isFinite(size) || size < 0) {
    return '—';
  }
  if (size < 1024) {
    return `${size} B`;
  }
  if (size < 1024 * 1024) {
    return `${(size / 1024).toFixed(1)} KB`;
  }
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** An ISO time as local `YYYY-MM-DD HH:MM:SS` (the text itself when unparsable). */
export function formatTime(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) {
    return iso;
  }
  return (
    `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ` +
    `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`
  );
}

/** Label of a version for the backtest panel: `NAME v3`. */
export function versionLabel(name: string, version: number): string {
  return `${name} v${version}`;
}

/** The pair diffed by default: the version before the latest → the latest. */
export function defaultDiffPair(
  versions: readonly IStrategyVersion[]
): { from: number; to: number } | null {
  if (versions.length < 2) {
    return null;
  }
  return {
    from: versions[versions.length - 2].version,
    to: versions[versions.length - 1].version
  };
}

/** What the history view shows on its right side. */
export type HistoryPane =
  | { kind: 'none' }
  | { kind: 'version'; version: number; content: string }
  | {
      kind: 'diff';
      from: number;
      to: number;
      lines: IDiffLine[];
      empty: boolean;
    };

/** State of {@link StrategyHistory}. */
export interface IHistoryState {
  name: string;
  /** Oldest first; null until loaded. */
  versions: IStrategyVersion[] | null;
  /** Version picked in the list (show / restore / backtest). */
  selected: number | null;
  /** Versions compared by the diff. */
  diffFrom: number | null;
  diffTo: number | null;
  pane: HistoryPane;
  busy: boolean;
  error: { message: string; hint: string | null } | null;
  /** The last restore (for a notice). */
  restored: IStrategySaved | null;
}

/** Options of {@link StrategyHistory}. */
export interface IStrategyHistoryOptions {
  client: IHistoryApi;
  name: string;
  trans: ITrans;
  /** Called after each state change. */
  onChange?: (state: IHistoryState) => void;
  /** "回测此版本": hand the version to the backtest panel. */
  onBacktest?: (ref: IStrategyVersionRef) => void;
  /** A version was restored (e.g. to reload the open editor). */
  onRestored?: (saved: IStrategySaved) => void;
  /** Turn an error into a shown message (default: its message). */
  describe?: (error: unknown) => { message: string; hint: string | null };
}

/** The version history of one strategy: load, show, diff, restore, backtest. */
export class StrategyHistory {
  constructor(options: IStrategyHistoryOptions) {
    this._options = options;
    this._state = {
      name: options.name,
      versions: null,
      selected: null,
      diffFrom: null,
      diffTo: null,
      pane: { kind: 'none' },
      busy: false,
      error: null,
      restored: null
    };
  }

  get state(): IHistoryState {
    return this._state;
  }

  get name(): string {
    return this._state.name;
  }

  /**
   * Load the versions; selects the latest and shows the diff of the last
   * two (or the only version).
   */
  async load(): Promise<void> {
    await this._run(async () => {
      const { versions } = await this._options.client.versions(this.name);
      const pair = defaultDiffPair(versions);
      const latest = versions.length
        ? versions[versions.length - 1].version
        : null;
      this._set({
        versions,
        selected: latest,
        diffFrom: pair?.from ?? latest,
        diffTo: pair?.to ?? latest
      });
      if (pair) {
        await this._diff(pair.from, pair.to);
      } else if (latest !== null) {
        await this._show(latest);
      }
    });
  }

  /** Pick a version in the list. */
  select(version: number): void {
    this._set({ selected: version });
  }

  /** Pick the versions to compare. */
  setDiffPair(from: number | null, to: number | null): void {
    this._set({
      diffFrom: from ?? this._state.diffFrom,
      diffTo: to ?? this._state.diffTo
    });
  }

  /** Show the source of a version. */
  async show(version: number): Promise<void> {
    await this._run(() => this._show(version));
  }

  /** Show the unified diff `from` → `to` (the picked pair by default). */
  async diff(from?: number, to?: number): Promise<void> {
    const a = from ?? this._state.diffFrom;
    const b = to ?? this._state.diffTo;
    if (a === null || b === null) {
      return;
    }
    await this._run(() => this._diff(a, b));
  }

  /** Restore a version (it becomes the new latest) and reload the list. */
  async restore(version: number): Promise<IStrategySaved | null> {
    let saved: IStrategySaved | null = null;
    await this._run(async () => {
      saved = await this._options.client.restore(this.name, version);
      this._set({ restored: saved });
      this._options.onRestored?.(saved);
    });
    if (saved) {
      await this.load();
    }
    return saved;
  }

  /** "回测此版本": hand the (selected) version to the backtest panel. */
  backtest(version?: number): IStrategyVersionRef | null {
    const v = version ?? this._state.selected;
    if (v === null) {
      return null;
    }
    const ref = { name: this.name, version: v };
    this._options.onBacktest?.(ref);
    return ref;
  }

  private async _show(version: number): Promise<void> {
    const r = await this._options.client.get(this.name, version);
    this._set({
      selected: version,
      pane: { kind: 'version', version, content: r.content }
    });
  }

  private async _diff(from: number, to: number): Promise<void> {
    const r = await this._options.client.diff(this.name, from, to);
    const lines = parseUnifiedDiff(r.diff);
    this._set({
      diffFrom: from,
      diffTo: to,
      pane: {
        kind: 'diff',
        from,
        to,
        lines,
        empty: !lines.some(l => l.kind === 'add' || l.kind === 'del')
      }
    });
  }

  private async _run(work: () => Promise<void>): Promise<void> {
    this._set({ busy: true, error: null });
    try {
      await work();
    } catch (error) {
      const describe =
        this._options.describe ??
        ((e: unknown) => ({
          message: e instanceof Error ? e.message : String(e),
          hint: null
        }));
      this._set({ error: describe(error) });
    } finally {
      this._set({ busy: false });
    }
  }

  private _set(patch: Partial<IHistoryState>): void {
    this._state = { ...this._state, ...patch };
    this._options.onChange?.(this._state);
  }

  private readonly _options: IStrategyHistoryOptions;
  private _state: IHistoryState;
}
