/**
 * The TypeScript wire models must match the server's JSON Schema
 * (`server_extension/schema/`, generated from `jupyterlab_quant/server/models.py`).
 *
 * Each model lists its required and optional fields below; the type checker
 * rejects a list that misses or invents a field of the interface, and the
 * tests compare the lists with the schema, so drift on either side fails
 * (helpers in fieldLists.ts).
 */
import barsSchema from '../../server_extension/schema/bars.json';
import checkSchema from '../../server_extension/schema/check.json';
import errorSchema from '../../server_extension/schema/error.json';
import sourcesSchema from '../../server_extension/schema/sources.json';
import statusSchema from '../../server_extension/schema/status.json';
import symbolsSchema from '../../server_extension/schema/symbols.json';
import updateJobSchema from '../../server_extension/schema/update_job.json';
import {
  CheckSeverity,
  CircuitState,
  IApiErrorBody,
  IBarColumns,
  IBarsResponse,
  ICheckFinding,
  ICheckResponse,
  IDatasetInfo,
  ISourceHealth,
  ISourcesResponse,
  IStatusResponse,
  ISymbolInfo,
  IUpdateJob,
  SourcesOverall,
  UpdateJobState
} from '../models';
import { allOf, enumOf, expectSameFields, fieldsOf, sub } from './fieldLists';

describe('wire models follow server_extension/schema', () => {
  it('status', () => {
    expectSameFields(
      statusSchema,
      fieldsOf<IStatusResponse>()(
        ['name', 'version', 'api_version', 'home', 'datasets'],
        []
      )
    );
    expectSameFields(
      sub(statusSchema, 'properties', 'datasets', 'items'),
      fieldsOf<IDatasetInfo>()(['name', 'rows'], ['first', 'last'])
    );
  });

  it('symbols', () => {
    expectSameFields(
      sub(symbolsSchema, 'properties', 'items', 'items'),
      fieldsOf<ISymbolInfo>()(
        ['symbol', 'code', 'name', 'kind', 'exchange'],
        ['board', 'first_date', 'last_date']
      )
    );
  });

  it('bars', () => {
    expectSameFields(
      barsSchema,
      fieldsOf<IBarsResponse>()(
        [
          'symbol',
          'name',
          'freq',
          'adjust',
          'start',
          'end',
          'total',
          'bucket',
          'columns',
          'data'
        ],
        []
      )
    );
    expectSameFields(
      sub(barsSchema, 'properties', 'data'),
      fieldsOf<IBarColumns>()(
        ['time', 'open', 'high', 'low', 'close', 'volume', 'suspended'],
        ['amount', 'preclose']
      )
    );
  });

  it('bars enums', () => {
    const props = barsSchema.properties as Record<string, { enum?: string[] }>;
    expect(props.adjust.enum).toEqual(['none', 'qfq', 'hfq']);
    expect(props.freq.enum).toEqual(['1d', '1m', '5m']);
  });

  it('error', () => {
    expectSameFields(
      errorSchema,
      fieldsOf<IApiErrorBody>()(
        ['error', 'message'],
        ['hint', 'path', 'row', 'field']
      )
    );
  });

  it('sources', () => {
    expectSameFields(
      sourcesSchema,
      fieldsOf<ISourcesResponse>()(['overall', 'items'], [])
    );
    expectSameFields(
      sub(sourcesSchema, 'properties', 'items', 'items'),
      fieldsOf<ISourceHealth>()(
        [
          'source',
          'state',
          'consecutive_failures',
          'successes',
          'failures',
          'retry_in_s'
        ],
        ['last_success_at', 'last_failure_at', 'last_error']
      )
    );
  });

  it('update_job', () => {
    expectSameFields(
      updateJobSchema,
      fieldsOf<IUpdateJob>()(
        ['id', 'symbols', 'state', 'done', 'total', 'message'],
        [
          'symbol',
          'eta_s',
          'error',
          'failed_symbols',
          'started_at',
          'finished_at'
        ]
      )
    );
  });

  it('check', () => {
    expectSameFields(
      checkSchema,
      fieldsOf<ICheckResponse>()(['errors', 'warnings', 'items'], [])
    );
    expectSameFields(
      sub(checkSchema, 'properties', 'items', 'items'),
      fieldsOf<ICheckFinding>()(
        ['symbol', 'check', 'severity', 'message'],
        ['date', 'hint', 'dataset']
      )
    );
  });

  it('enums of sources, update_job and check', () => {
    expect(enumOf(sourcesSchema, 'overall')).toEqual(
      allOf<SourcesOverall>({
        unknown: true,
        ok: true,
        degraded: true,
        down: true
      })
    );
    expect(
      enumOf(sub(sourcesSchema, 'properties', 'items', 'items'), 'state')
    ).toEqual(
      allOf<CircuitState>({ closed: true, open: true, half_open: true })
    );
    expect(enumOf(updateJobSchema, 'state')).toEqual(
      allOf<UpdateJobState>({ running: true, done: true, failed: true })
    );
    expect(
      enumOf(sub(checkSchema, 'properties', 'items', 'items'), 'severity')
    ).toEqual(allOf<CheckSeverity>({ error: true, warning: true }));
  });
});
