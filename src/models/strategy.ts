/**
 * Wire models of the strategy vault REST API (策略库,
 * `/jupyterlab-quant/v1/strategies`): encrypted, versioned strategy sources.
 *
 * They mirror `server_extension/schema/strategy*.json` (generated from
 * `jupyterlab_quant/server/models.py`); `src/__tests__/strategies-models.spec.ts`
 * fails when the two drift apart.
 */

/** One stored version of a strategy. */
export interface IStrategyVersion {
  /** 1, 2, 3, … in save order. */
  version: number;
  /** ISO 8601 time of the save. */
  created: string;
  /** The save message ('' when none). */
  message: string;
  /** Size of the source in bytes. */
  size: number;
}

/** One strategy of `GET /strategies`. */
export interface IStrategyInfo {
  name: string;
  /** Number of versions. */
  versions: number;
  /** Number of the latest version. */
  latest: number;
  /** ISO 8601 time of the latest version. */
  updated: string;
  /** Size of the latest source in bytes. */
  size: number;
}

/** `GET /strategies`. */
export interface IStrategyListResponse {
  strategies: IStrategyInfo[];
}

/** `GET /strategies/<name>[?version=N]`: one version's source and the history. */
export interface IStrategyResponse {
  name: string;
  version: number;
  content: string;
  /** Every version, oldest first. */
  versions: IStrategyVersion[];
}

/** `GET /strategies/<name>/versions`. */
export interface IStrategyVersionsResponse {
  name: string;
  versions: IStrategyVersion[];
}

/**
 * `PUT /strategies/<name>` (201 new version; 200 with `changed: false` when
 * the source equals the latest) and `POST /strategies/<name>/restore` (201).
 */
export interface IStrategySaved extends IStrategyVersion {
  name: string;
  /** False when nothing new was stored (identical to the latest). */
  changed: boolean;
}

/** `GET /strategies/<name>/diff?from=&to=`. */
export interface IStrategyDiffResponse {
  name: string;
  from: number;
  to: number;
  /** Unified diff of `from` → `to`. */
  diff: string;
}

/** `PUT /strategies/<name>` body. */
export interface IStrategySaveRequest {
  content: string;
  message?: string;
}

/** `POST /strategies/<name>/restore` body. */
export interface IStrategyRestoreRequest {
  version: number;
  message?: string;
}
