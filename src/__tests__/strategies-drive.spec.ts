/**
 * The strategy library drive (策略库) maps JupyterLab's contents calls onto
 * the vault's REST API: listing, file models with content, save = a new
 * version, drafts kept in memory until their first save, checkpoints =
 * versions, and clear errors for what is not supported. The network is
 * mocked at the api seam (a fake StrategyClient); StrategyClient itself is
 * checked at the fetch seam.
 */
/* eslint-disable jupyter/require-disposable-transfer -- every drive is disposed in afterEach (makeDrive) */
import { Contents, ServerConnection } from '@jupyterlab/services';

import { QuantApiError, StrategyClient } from '../api';
import {
  IStrategyApi,
  isValidStrategyName,
  SAVE_MESSAGE,
  StrategyDrive,
  StrategyDriveError,
  strategyNameOf,
  strategyOfPath
} from '../drive/drive';
import type { IStrategySaved, IStrategyVersion } from '../models';

const T1 = '2026-11-25T08:00:00+00:00';
const T2 = '2026-11-25T09:00:00+00:00';
const V1 = 'import backtrader as bt\n';
const V2 = 'import backtrader as bt\n# v2\n';

function version(n: number, created: string, size = 10): IStrategyVersion {
  return { version: n, created, message: `m${n}`, size };
}

/** An in-memory vault behind the client interface. */
function fakeClient() {
  const store = new Map<string, { content: string; v: IStrategyVersion }[]>();
  let clock = 0;
  const saved = (name: string): IStrategySaved => {
    const list = store.get(name)!;
    return { name, ...list[list.length - 1].v, changed: true };
  };
  const client = {
    settings: ServerConnection.makeSettings(),
    list: jest.fn(async () => ({
      strategies: [...store.entries()].map(([name, list]) => ({
        name,
        versions: list.length,
        latest: list[list.length - 1].v.version,
        updated: list[list.length - 1].v.created,
        size: list[list.length - 1].v.size
      }))
    })),
    get: jest.fn(async (name: string, n?: number | null) => {
      const list = store.get(name);
      if (!list) {
        throw new QuantApiError(404, 'not_found', `没有策略 ${name}`, 'hint');
      }
      const item = n ? list[n - 1] : list[list.length - 1];
      return {
        name,
        version: item.v.version,
        content: item.content,
        versions: list.map(x => x.v)
      };
    }),
    versions: jest.fn(async (name: string) => {
      const list = store.get(name);
      if (!list) {
        throw new QuantApiError(404, 'not_found', `没有策略 ${name}`, 'hint');
      }
      return { name, versions: list.map(x => x.v) };
    }),
    save: jest.fn(async (name: string, content: string, message?: string) => {
      const list = store.get(name) ?? [];
      if (list.length && list[list.length - 1].content === content) {
        return { ...saved(name), changed: false };
      }
      const v = {
        version: list.length + 1,
        created: `2026-11-25T10:00:0${clock++}+00:00`,
        message: message ?? '',
        size: content.length
      };
      store.set(name, [...list, { content, v }]);
      return saved(name);
    }),
    remove: jest.fn(async (name: string) => {
      store.delete(name);
      return {};
    }),
    restore: jest.fn(async (name: string, n: number) => {
      const list = store.get(name)!;
      const content = list[n - 1].content;
      const v = {
        version: list.length + 1,
        created: T2,
        message: `restored from v${n}`,
        size: content.length
      };
      list.push({ content, v });
      return saved(name);
    })
  };
  return { client: client as unknown as IStrategyApi & typeof client, store };
}

const drives: StrategyDrive[] = [];

/** A drive disposed after the test. */
function makeDrive(
  options: ConstructorParameters<typeof StrategyDrive>[0]
): StrategyDrive {
  const drive = new StrategyDrive(options);
  drives.push(drive);
  return drive;
}

afterEach(() => {
  drives.splice(0).forEach(d => d.dispose());
});

describe('strategy names and paths', () => {
  it('accepts the vault names and maps NAME.py ⇄ NAME', () => {
    expect(isValidStrategyName('双均线_v1')).toBe(true);
    expect(isValidStrategyName('a-b_C9')).toBe(true);
    for (const bad of ['', 'a b', 'a.b', 'x'.repeat(65), '../x']) {
      expect(isValidStrategyName(bad)).toBe(false);
    }
    expect(strategyNameOf('双均线.py')).toBe('双均线');
    expect(strategyNameOf('/sma.py')).toBe('sma');
    expect(strategyNameOf('jlq-strategies:sma.py')).toBe('sma');
    expect(() => strategyNameOf('notes.txt')).toThrow(StrategyDriveError);
    expect(() => strategyNameOf('dir/sma.py')).toThrow(/no folders/);
    expect(strategyOfPath('jlq-strategies:sma.py')).toBe('sma');
    expect(strategyOfPath('sma.py')).toBeNull();
    expect(strategyOfPath(undefined)).toBeNull();
  });
});

describe('StrategyDrive', () => {
  it('lists strategies as NAME.py files and gets one with its content', async () => {
    const { client, store } = fakeClient();
    store.set('sma', [
      { content: V1, v: version(1, T1, V1.length) },
      { content: V2, v: version(2, T2, V2.length) }
    ]);
    const drive = makeDrive({ client });
    expect(drive.name).toBe('jlq-strategies');

    const dir = await drive.get('');
    expect(dir.type).toBe('directory');
    const files = dir.content as Contents.IModel[];
    expect(files.map(f => [f.name, f.path, f.type, f.last_modified])).toEqual([
      ['sma.py', 'sma.py', 'file', T2]
    ]);
    expect(files[0].content).toBeNull();

    const file = await drive.get('sma.py', { content: true });
    expect(file).toMatchObject({
      name: 'sma.py',
      type: 'file',
      format: 'text',
      mimetype: 'text/x-python',
      content: V2,
      created: T1,
      last_modified: T2,
      writable: true,
      hash: 'v2'
    });
    const meta = await drive.get('sma.py', { content: false });
    expect(meta.content).toBeNull();
    expect(meta.hash).toBe('v2');
    expect(client.get).toHaveBeenCalledTimes(1); // metadata needs no decryption
  });

  it('saves a new version per save and signals the change', async () => {
    const { client, store } = fakeClient();
    store.set('sma', [{ content: V1, v: version(1, T1) }]);
    const drive = makeDrive({ client });
    const changes: Contents.IChangedArgs[] = [];
    drive.fileChanged.connect((_, args) => changes.push(args));

    const model = await drive.save('sma.py', {
      type: 'file',
      format: 'text',
      content: V2
    });
    expect(client.save).toHaveBeenCalledWith('sma', V2, SAVE_MESSAGE);
    expect(model).toMatchObject({ name: 'sma.py', hash: 'v2', content: null });
    expect(store.get('sma')!.length).toBe(2);
    expect(changes.map(c => c.type)).toEqual(['save']);
    await expect(drive.save('sma.py', { type: 'directory' })).rejects.toThrow(
      /no folders/
    );
  });

  it('keeps new strategies as drafts in memory until the first save', async () => {
    const { client, store } = fakeClient();
    const drive = makeDrive({ client, template: 'T\n' });
    const created = await drive.newUntitled({
      path: '',
      type: 'file',
      ext: '.py'
    });
    expect(created.name).toBe('untitled.py');
    expect(client.save).not.toHaveBeenCalled();
    const second = await drive.newUntitled({ type: 'file', ext: '.py' });
    expect(second.name).toBe('untitled1.py');
    await expect(drive.newUntitled({ type: 'directory' })).rejects.toThrow(
      StrategyDriveError
    );

    // listed, opened with the template, no checkpoints yet
    const files = (await drive.get('')).content as Contents.IModel[];
    expect(files.map(f => f.name)).toEqual(['untitled.py', 'untitled1.py']);
    expect((await drive.get('untitled.py')).content).toBe('T\n');
    expect(await drive.listCheckpoints('untitled.py')).toEqual([]);

    // a draft can be renamed; then its first save is version 1
    const renamed = await drive.rename('untitled.py', '双均线.py');
    expect(renamed.name).toBe('双均线.py');
    await drive.save('双均线.py', {
      type: 'file',
      format: 'text',
      content: V1
    });
    expect(store.get('双均线')!.map(x => x.v.version)).toEqual([1]);
    expect(drive.drafts).toEqual(['untitled1']);

    // a stored strategy is not renamed (its history belongs to its name)
    await expect(drive.rename('双均线.py', 'other.py')).rejects.toMatchObject({
      code: 'not_supported'
    });
    // deleting a draft never calls the server
    await drive.delete('untitled1.py');
    expect(client.remove).not.toHaveBeenCalled();
    expect(drive.drafts).toEqual([]);
  });

  it('maps checkpoints to versions', async () => {
    const { client, store } = fakeClient();
    store.set('sma', [
      { content: V1, v: version(1, T1) },
      { content: V2, v: version(2, T2) }
    ]);
    const drive = makeDrive({ client });
    expect(await drive.listCheckpoints('sma.py')).toEqual([
      { id: '1', last_modified: T1 },
      { id: '2', last_modified: T2 }
    ]);
    // after a save the latest version is the checkpoint: no extra version
    expect(await drive.createCheckpoint('sma.py')).toEqual({
      id: '2',
      last_modified: T2
    });
    expect(client.save).not.toHaveBeenCalled();

    await drive.restoreCheckpoint('sma.py', '1');
    expect(client.restore).toHaveBeenCalledWith('sma', 1);
    expect((await drive.get('sma.py')).content).toBe(V1);
    expect((await drive.listCheckpoints('sma.py')).map(c => c.id)).toEqual([
      '1',
      '2',
      '3'
    ]);
    await expect(drive.restoreCheckpoint('sma.py', 'x')).rejects.toThrow(
      StrategyDriveError
    );
    await expect(drive.deleteCheckpoint('sma.py', '1')).rejects.toMatchObject({
      code: 'not_supported'
    });
  });

  it('copies, deletes, refuses downloads, and keeps the server’s errors', async () => {
    const { client, store } = fakeClient();
    store.set('sma', [{ content: V1, v: version(1, T1) }]);
    const drive = makeDrive({ client });
    const copy = await drive.copy('sma.py', '');
    expect(copy.name).toBe('sma_copy.py');
    expect(client.save).toHaveBeenCalledWith(
      'sma_copy',
      V1,
      'copied from sma v1'
    );
    expect((await drive.copy('sma.py', '')).name).toBe('sma_copy2.py');

    await drive.delete('sma.py');
    expect(client.remove).toHaveBeenCalledWith('sma');
    await expect(drive.getDownloadUrl('sma_copy.py')).rejects.toMatchObject({
      code: 'not_supported'
    });

    const missing = await drive.get('gone.py').catch(e => e);
    expect(missing).toBeInstanceOf(StrategyDriveError);
    expect(missing.response.status).toBe(404); // what the document context looks for
    expect(missing.message).toContain('没有策略 gone');

    client.list.mockRejectedValueOnce(
      new QuantApiError(
        423,
        'vault_locked',
        '保险库已锁定',
        '设置 JLQ_VAULT_PASSPHRASE'
      )
    );
    const locked = await drive.get('').catch(e => e);
    expect(locked.status).toBe(423);
    expect(locked.message).toContain('JLQ_VAULT_PASSPHRASE');
  });
});

describe('StrategyClient', () => {
  it('builds the REST calls of the vault', async () => {
    const seen: string[] = [];
    const fetch = jest.fn(async (request: Request) => {
      seen.push(`${request.method} ${request.url} ${await request.text()}`);
      return new Response('{}', { status: 200 });
    });
    const settings = ServerConnection.makeSettings({
      baseUrl: 'http://localhost:8888/',
      init: { cache: 'default', credentials: 'same-origin' },
      fetch: fetch as unknown as typeof window.fetch
    });
    const client = new StrategyClient(settings);
    await client.list();
    await client.get('双均线');
    await client.get('sma', 2);
    await client.save('sma', 'x', 'msg');
    await client.remove('sma');
    await client.versions('sma');
    await client.diff('sma', 1, 2);
    await client.restore('sma', 1);
    const base = 'http://localhost:8888/jupyterlab-quant/v1/strategies';
    expect(seen).toEqual([
      `GET ${base} `,
      `GET ${base}/%E5%8F%8C%E5%9D%87%E7%BA%BF `,
      `GET ${base}/sma?version=2 `,
      `PUT ${base}/sma {"content":"x","message":"msg"}`,
      `DELETE ${base}/sma `,
      `GET ${base}/sma/versions `,
      `GET ${base}/sma/diff?from=1&to=2 `,
      `POST ${base}/sma/restore {"version":1}`
    ]);
  });
});
