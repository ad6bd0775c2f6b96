/**
 * The strategy library drive (策略库): a JupyterLab `Contents.IDrive` backed
 * by the vault's REST API, so a strategy opens in the normal editor and every
 * save stores a new encrypted version.
 *
 * The drive is flat: its root lists every strategy as `NAME.py`. Plaintext
 * exists only in memory (the editor's model and the drafts of strategies
 * created but never saved); nothing is written to local files.
 *
 * Versions map onto JupyterLab's checkpoints: `listCheckpoints` lists them
 * oldest first (ids `"1"`, `"2"`, …), `createCheckpoint` answers the latest
 * version (a save already made one), `restoreCheckpoint` restores a version
 * as a new latest one.
 */
import type { Contents, ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { QuantApiError, StrategyClient } from '../api';
import type {
  IStrategyInfo,
  IStrategySaved,
  IStrategyVersion
} from '../models';

/** Drive name: paths of the drive read `jlq-strategies:NAME.py`. */
export const STRATEGY_DRIVE_NAME = 'jlq-strategies';
/** File extension every strategy shows with. */
export const STRATEGY_EXT = '.py';
/** Version message of a save from the editor. */
export const SAVE_MESSAGE = 'saved from JupyterLab';
/** `hash_algorithm` of the models: the hash is the latest version (`v3`). */
export const VERSION_HASH = 'jlq-version';
/** Mimetype of a strategy file. */
export const PYTHON_MIMETYPE = 'text/x-python';
/**
 * Names the vault accepts (mirrors `vault.strategies.NAME_RE`, which stays
 * authoritative): ASCII letters, digits, `_`, `-` and Chinese characters,
 * 1–64 of them.
 */
export const STRATEGY_NAME_PATTERN = /^[A-Za-z0-9_\-\u4e00-\u9fff]{1,64}$/;
/** What to do about a bad name (shown with the error). */
export const STRATEGY_NAME_HINT =
  '用字母、数字、下划线、短横线或中文，最长 64 字 (letters, digits, _, - or Chinese, up to 64)';

/** Source of a strategy created in the drive (a draft until its first save). */
export const NEW_STRATEGY_TEMPLATE = `"""新策略 (new strategy): a backtrader.Strategy; every save stores an encrypted version."""
import backtrader as bt


class MyStrategy(bt.Strategy):
    params = (("fast", 5), ("slow", 20))

    def __init__(self):
        fast = bt.ind.SMA(period=self.p.fast)
        slow = bt.ind.SMA(period=self.p.slow)
        self.crossover = bt.ind.CrossOver(fast, slow)

    def next(self):
        if not self.position and self.crossover > 0:
            self.buy(size=100)
        elif self.position and self.crossover < 0:
            self.close()
`;

/** The calls the drive makes (a {@link StrategyClient}, or a test double). */
export type IStrategyApi = Pick<
  StrategyClient,
  'settings' | 'list' | 'get' | 'save' | 'remove' | 'versions' | 'restore'
>;

/**
 * An error of the drive. Carries `response.status` the way JupyterLab's
 * document context and file browser look for it (404, 403), and the
 * server's message and hint in `message`.
 */
export class StrategyDriveError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string = 'strategy_drive',
    readonly hint: string | null = null
  ) {
    super(hint ? `${message} — ${hint}` : message);
    this.name = 'StrategyDriveError';
    this.response = { status, statusText: code };
  }

  readonly response: { status: number; statusText: string };
}

/** True when `name` is a strategy name the server accepts. */
export function isValidStrategyName(name: string): boolean {
  return STRATEGY_NAME_PATTERN.test(name);
}

/** `NAME.py` of a strategy. */
export function strategyFileName(name: string): string {
  return `${name}${STRATEGY_EXT}`;
}

/**
 * The strategy name of a drive path (`NAME.py`, `/NAME.py`,
 * `jlq-strategies:NAME.py`); throws a 400/404 {@link StrategyDriveError}
 * for anything else.
 */
export function strategyNameOf(path: string): string {
  let local = path.startsWith(`${STRATEGY_DRIVE_NAME}:`)
    ? path.slice(STRATEGY_DRIVE_NAME.length + 1)
    : path;
  local = local.replace(/^\/+/, '');
  if (local.includes('/')) {
    throw new StrategyDriveError(
      `策略库没有文件夹 (the strategy library has no folders): ${path}`,
      404
    );
  }
  if (!local.endsWith(STRATEGY_EXT)) {
    throw new StrategyDriveError(
      `策略库只保存 .py 策略文件 (only NAME.py files): ${path}`,
      400
    );
  }
  const name = local.slice(0, -STRATEGY_EXT.length);
  if (!isValidStrategyName(name)) {
    throw new StrategyDriveError(
      `策略名不合法 (bad strategy name): ${name}`,
      400,
      'invalid_input',
      STRATEGY_NAME_HINT
    );
  }
  return name;
}

/** The drive error of any failure (keeps the server's status, message and hint). */
export function toDriveError(error: unknown): Error {
  if (error instanceof StrategyDriveError) {
    return error;
  }
  if (error instanceof QuantApiError) {
    return new StrategyDriveError(
      error.message,
      error.status,
      error.code,
      error.hint
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** A file model of a stored strategy. */
export function strategyFileModel(
  name: string,
  latest: Pick<IStrategyVersion, 'version' | 'created' | 'size'>,
  content: string | null,
  created: string = latest.created
): Contents.IModel {
  return {
    name: strategyFileName(name),
    path: strategyFileName(name),
    type: 'file',
    mimetype: PYTHON_MIMETYPE,
    format: content === null ? null : 'text',
    content,
    created,
    last_modified: latest.created,
    writable: true,
    size: latest.size,
    hash: `v${latest.version}`,
    hash_algorithm: VERSION_HASH
  };
}

/** The file model of a listed strategy (no content). */
export function listedFileModel(info: IStrategyInfo): Contents.IModel {
  return strategyFileModel(
    info.name,
    { version: info.latest, created: info.updated, size: info.size },
    null
  );
}

/** A strategy created in the drive but not saved yet (memory only). */
interface IDraft {
  content: string;
  created: string;
}

/** Options of {@link StrategyDrive}. */
export interface IStrategyDriveOptions {
  client: IStrategyApi;
  /** Drive name (default {@link STRATEGY_DRIVE_NAME}). */
  name?: string;
  /** Source of new strategies (default {@link NEW_STRATEGY_TEMPLATE}). */
  template?: string;
  /** Clock (tests). */
  now?: () => Date;
}

/** The strategy library drive. */
export class StrategyDrive implements Contents.IDrive {
  constructor(options: IStrategyDriveOptions) {
    this._client = options.client;
    this.name = options.name ?? STRATEGY_DRIVE_NAME;
    this._template = options.template ?? NEW_STRATEGY_TEMPLATE;
    this._now = options.now ?? (() => new Date());
  }

  readonly name: string;

  get serverSettings(): ServerConnection.ISettings {
    return this._client.settings;
  }

  get fileChanged(): ISignal<this, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._drafts.clear();
    Signal.clearData(this);
  }

  /** Names of the strategies created here and not saved yet. */
  get drafts(): string[] {
    return [...this._drafts.keys()];
  }

  /** The root listing (`''`) or one strategy (`NAME.py`, latest version). */
  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const path = localPath.replace(/^\/+|\/+$/g, '');
    if (path === '') {
      return this._directory(options?.content !== false);
    }
    const name = strategyNameOf(path);
    const draft = this._drafts.get(name);
    if (draft) {
      return this._draftModel(name, draft, options?.content !== false);
    }
    try {
      if (options?.content === false) {
        const { versions } = await this._client.versions(name);
        return strategyFileModel(
          name,
          versions[versions.length - 1],
          null,
          versions[0].created
        );
      }
      const r = await this._client.get(name);
      const latest = r.versions[r.versions.length - 1];
      return strategyFileModel(name, latest, r.content, r.versions[0].created);
    } catch (error) {
      throw toDriveError(error);
    }
  }

  /** Save = a new version (message {@link SAVE_MESSAGE}); identical to the latest: no new version. */
  async save(
    localPath: string,
    options: Partial<Contents.IModel> = {}
  ): Promise<Contents.IModel> {
    if (options.type === 'directory') {
      throw this._noFolders();
    }
    const name = strategyNameOf(localPath);
    const draft = this._drafts.get(name);
    const content =
      typeof options.content === 'string' ? options.content : draft?.content;
    if (content === undefined) {
      throw new StrategyDriveError(
        `没有要保存的内容 (nothing to save): ${localPath}`,
        400
      );
    }
    let saved: IStrategySaved;
    try {
      saved = await this._client.save(name, content, SAVE_MESSAGE);
    } catch (error) {
      throw toDriveError(error);
    }
    this._drafts.delete(name);
    const model = strategyFileModel(name, saved, null, draft?.created);
    this._fileChanged.emit({ type: 'save', oldValue: null, newValue: model });
    return model;
  }

  /**
   * A new strategy `untitled.py` (`untitled1.py`, …): a draft holding the
   * template, in memory until its first save.
   */
  async newUntitled(
    options: Contents.ICreateOptions = {}
  ): Promise<Contents.IModel> {
    if (options.type === 'directory' || (options.path ?? '').includes('/')) {
      throw this._noFolders();
    }
    if (options.ext && options.ext !== STRATEGY_EXT) {
      throw new StrategyDriveError(
        `策略库只保存 .py 策略文件 (only .py files): ${options.ext}`,
        400
      );
    }
    const taken = await this._names();
    let name = 'untitled';
    for (let i = 1; taken.has(name); i++) {
      name = `untitled${i}`;
    }
    return this.createDraft(name);
  }

  /** Create the draft `name` (template source; stored on first save). */
  createDraft(name: string, content: string = this._template): Contents.IModel {
    if (!isValidStrategyName(name)) {
      throw new StrategyDriveError(
        `策略名不合法 (bad strategy name): ${name}`,
        400,
        'invalid_input',
        STRATEGY_NAME_HINT
      );
    }
    const draft = { content, created: this._now().toISOString() };
    this._drafts.set(name, draft);
    const model = this._draftModel(name, draft, false);
    this._fileChanged.emit({ type: 'new', oldValue: null, newValue: model });
    return model;
  }

  /** Delete a strategy with all its versions (or drop a draft). */
  async delete(localPath: string): Promise<void> {
    const name = strategyNameOf(localPath);
    if (!this._drafts.delete(name)) {
      try {
        await this._client.remove(name);
      } catch (error) {
        throw toDriveError(error);
      }
    }
    this._fileChanged.emit({
      type: 'delete',
      oldValue: { path: strategyFileName(name) },
      newValue: null
    });
  }

  /**
   * Rename a draft. A stored strategy cannot be renamed: its version history
   * is bound to its name (save a copy under the new name instead).
   */
  async rename(
    oldLocalPath: string,
    newLocalPath: string
  ): Promise<Contents.IModel> {
    const oldName = strategyNameOf(oldLocalPath);
    const newName = strategyNameOf(newLocalPath);
    const draft = this._drafts.get(oldName);
    if (!draft) {
      throw new StrategyDriveError(
        `策略库不支持给已保存的策略改名 (renaming a saved strategy is not supported): ${oldName}`,
        400,
        'not_supported',
        '版本历史属于策略名；请用“复制”另存为新名称，再删除旧策略'
      );
    }
    if (oldName === newName) {
      return this._draftModel(newName, draft, false);
    }
    if ((await this._names()).has(newName)) {
      throw new StrategyDriveError(
        `策略 ${newName} 已存在 (already exists)`,
        409
      );
    }
    this._drafts.delete(oldName);
    this._drafts.set(newName, draft);
    const model = this._draftModel(newName, draft, false);
    this._fileChanged.emit({
      type: 'rename',
      oldValue: { path: strategyFileName(oldName) },
      newValue: model
    });
    return model;
  }

  /** Copy the latest version into a new strategy `NAME_copy` (a first version of its own). */
  async copy(localPath: string, toLocalDir: string): Promise<Contents.IModel> {
    if (toLocalDir.replace(/^\/+|\/+$/g, '') !== '') {
      throw this._noFolders();
    }
    const name = strategyNameOf(localPath);
    const taken = await this._names();
    let target = `${name}_copy`;
    for (let i = 2; taken.has(target); i++) {
      target = `${name}_copy${i}`;
    }
    const draft = this._drafts.get(name);
    if (draft) {
      return this.createDraft(target, draft.content);
    }
    let saved: IStrategySaved;
    try {
      const source = await this._client.get(name);
      saved = await this._client.save(
        target,
        source.content,
        `copied from ${name} v${source.version}`
      );
    } catch (error) {
      throw toDriveError(error);
    }
    const model = strategyFileModel(target, saved, null);
    this._fileChanged.emit({ type: 'new', oldValue: null, newValue: model });
    return model;
  }

  /** Downloads would write plaintext to disk: not offered. */
  async getDownloadUrl(localPath: string): Promise<string> {
    throw new StrategyDriveError(
      `策略库不提供下载 (download is not supported): ${localPath}`,
      400,
      'not_supported',
      '策略代码只以加密形式保存；需要导出时在终端运行 jlq strategy export NAME FILE.py'
    );
  }

  /** The latest version as a checkpoint (the save before it made the version). */
  async createCheckpoint(
    localPath: string
  ): Promise<Contents.ICheckpointModel> {
    const name = strategyNameOf(localPath);
    const draft = this._drafts.get(name);
    if (draft) {
      // Nothing stored yet: the first save makes version 1.
      return { id: '0', last_modified: draft.created };
    }
    const list = await this.listCheckpoints(localPath);
    return list[list.length - 1];
  }

  /** Every version as a checkpoint, oldest first (id = version number). */
  async listCheckpoints(
    localPath: string
  ): Promise<Contents.ICheckpointModel[]> {
    const name = strategyNameOf(localPath);
    if (this._drafts.has(name)) {
      return [];
    }
    try {
      const { versions } = await this._client.versions(name);
      return versions.map(v => ({
        id: String(v.version),
        last_modified: v.created
      }));
    } catch (error) {
      throw toDriveError(error);
    }
  }

  /** Restore a version: it becomes a new latest version. */
  async restoreCheckpoint(
    localPath: string,
    checkpointID: string
  ): Promise<void> {
    const name = strategyNameOf(localPath);
    const version = Number(checkpointID);
    if (this._drafts.has(name) && checkpointID === '0') {
      return;
    }
    if (!Number.isInteger(version) || version < 1) {
      throw new StrategyDriveError(
        `没有这个版本 (no such version): ${checkpointID}`,
        404
      );
    }
    let saved: IStrategySaved;
    try {
      saved = await this._client.restore(name, version);
    } catch (error) {
      throw toDriveError(error);
    }
    this._fileChanged.emit({
      type: 'save',
      oldValue: null,
      newValue: strategyFileModel(name, saved, null)
    });
  }

  /** Versions are never deleted one by one (delete the strategy instead). */
  async deleteCheckpoint(
    localPath: string,
    checkpointID: string
  ): Promise<void> {
    throw new StrategyDriveError(
      `策略版本不能单独删除 (versions cannot be deleted): ${localPath} v${checkpointID}`,
      400,
      'not_supported'
    );
  }

  private async _directory(content: boolean): Promise<Contents.IModel> {
    let strategies: IStrategyInfo[];
    try {
      strategies = (await this._client.list()).strategies;
    } catch (error) {
      throw toDriveError(error);
    }
    const stored = new Set(strategies.map(s => s.name));
    const files = strategies.map(listedFileModel);
    for (const [name, draft] of this._drafts) {
      if (!stored.has(name)) {
        files.push(this._draftModel(name, draft, false));
      }
    }
    files.sort((a, b) => a.name.localeCompare(b.name));
    const times = files.map(f => f.last_modified).sort();
    const epoch = new Date(0).toISOString();
    return {
      name: '',
      path: '',
      type: 'directory',
      mimetype: '',
      format: content ? 'json' : null,
      content: content ? files : null,
      created: times[0] ?? epoch,
      last_modified: times[times.length - 1] ?? epoch,
      writable: true
    };
  }

  private _draftModel(
    name: string,
    draft: IDraft,
    content: boolean
  ): Contents.IModel {
    return {
      name: strategyFileName(name),
      path: strategyFileName(name),
      type: 'file',
      mimetype: PYTHON_MIMETYPE,
      format: content ? 'text' : null,
      content: content ? draft.content : null,
      created: draft.created,
      last_modified: draft.created,
      writable: true,
      size: new TextEncoder().encode(draft.content).length,
      hash: 'v0',
      hash_algorithm: VERSION_HASH
    };
  }

  private async _names(): Promise<Set<string>> {
    let strategies: IStrategyInfo[];
    try {
      strategies = (await this._client.list()).strategies;
    } catch (error) {
      throw toDriveError(error);
    }
    return new Set([...strategies.map(s => s.name), ...this._drafts.keys()]);
  }

  private _noFolders(): StrategyDriveError {
    return new StrategyDriveError(
      '策略库没有文件夹 (the strategy library has no folders)',
      400,
      'not_supported'
    );
  }

  private readonly _client: IStrategyApi;
  private readonly _template: string;
  private readonly _now: () => Date;
  private readonly _drafts = new Map<string, IDraft>();
  private readonly _fileChanged = new Signal<this, Contents.IChangedArgs>(this);
  private _isDisposed = false;
}

/**
 * The strategy name of a global path of the drive (`jlq-strategies:NAME.py`),
 * null for any other path.
 */
export function strategyOfPath(
  path: string | null | undefined,
  driveName: string = STRATEGY_DRIVE_NAME
): string | null {
  if (!path || !path.startsWith(`${driveName}:`)) {
    return null;
  }
  const local = path.slice(driveName.length + 1).replace(/^\/+/, '');
  if (!local.endsWith(STRATEGY_EXT)) {
    return null;
  }
  const name = local.slice(0, -STRATEGY_EXT.length);
  return isValidStrategyName(name) ? name : null;
}
