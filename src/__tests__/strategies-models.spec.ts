/**
 * The strategy vault wire models (src/models/strategy.ts) must match the
 * server's JSON Schema (`server_extension/schema/strategy*.json`, generated
 * from `jupyterlab_quant/server/models.py`); same pattern as models.spec.ts.
 */
import strategySchema from '../../server_extension/schema/strategy.json';
import diffSchema from '../../server_extension/schema/strategy_diff.json';
import listSchema from '../../server_extension/schema/strategy_list.json';
import restoreSchema from '../../server_extension/schema/strategy_restore_request.json';
import saveSchema from '../../server_extension/schema/strategy_save_request.json';
import savedSchema from '../../server_extension/schema/strategy_version.json';
import versionsSchema from '../../server_extension/schema/strategy_versions.json';
import {
  IStrategyDiffResponse,
  IStrategyInfo,
  IStrategyListResponse,
  IStrategyResponse,
  IStrategyRestoreRequest,
  IStrategySaved,
  IStrategySaveRequest,
  IStrategyVersion,
  IStrategyVersionsResponse
} from '../models';
import { expectSameFields, fieldsOf, sub } from './fieldLists';

const VERSION = fieldsOf<IStrategyVersion>()(
  ['version', 'created', 'message', 'size'],
  []
);

describe('strategy vault models follow server_extension/schema', () => {
  it('strategy_list', () => {
    expectSameFields(
      listSchema,
      fieldsOf<IStrategyListResponse>()(['strategies'], [])
    );
    expectSameFields(
      sub(listSchema, 'properties', 'strategies', 'items'),
      fieldsOf<IStrategyInfo>()(
        ['name', 'versions', 'latest', 'updated', 'size'],
        []
      )
    );
  });

  it('strategy and strategy_versions', () => {
    expectSameFields(
      strategySchema,
      fieldsOf<IStrategyResponse>()(
        ['name', 'version', 'content', 'versions'],
        []
      )
    );
    expectSameFields(
      sub(strategySchema, 'properties', 'versions', 'items'),
      VERSION
    );
    expectSameFields(
      versionsSchema,
      fieldsOf<IStrategyVersionsResponse>()(['name', 'versions'], [])
    );
    expectSameFields(
      sub(versionsSchema, 'properties', 'versions', 'items'),
      VERSION
    );
  });

  it('strategy_version (save / restore answers)', () => {
    expectSameFields(
      savedSchema,
      fieldsOf<IStrategySaved>()(
        ['name', 'version', 'created', 'message', 'size', 'changed'],
        []
      )
    );
  });

  it('strategy_diff and request bodies', () => {
    expectSameFields(
      diffSchema,
      fieldsOf<IStrategyDiffResponse>()(['name', 'from', 'to', 'diff'], [])
    );
    expectSameFields(
      saveSchema,
      fieldsOf<IStrategySaveRequest>()(['content'], ['message'])
    );
    expectSameFields(
      restoreSchema,
      fieldsOf<IStrategyRestoreRequest>()(['version'], ['message'])
    );
  });
});
