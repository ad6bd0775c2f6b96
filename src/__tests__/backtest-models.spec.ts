/**
 * The backtest wire models (src/models/backtest.ts) must match the server's
 * JSON Schema (`server_extension/schema/backtest_*.json`, generated from
 * `jupyterlab_quant/server/models.py`).
 *
 * Same pattern as models.spec.ts: each model lists its required and optional
 * fields; the type checker rejects a list that misses or invents a field of
 * the interface, and the tests compare the lists with the schema, so drift on
 * either side fails.
 */
import jobSchema from '../../server_extension/schema/backtest_job.json';
import jobsSchema from '../../server_extension/schema/backtest_jobs.json';
import profilesSchema from '../../server_extension/schema/backtest_profiles.json';
import requestSchema from '../../server_extension/schema/backtest_request.json';
import strategiesSchema from '../../server_extension/schema/backtest_strategies.json';
import {
  BACKTEST_STATUSES,
  BacktestStatus,
  FeeRounding,
  IBacktestJob,
  IBacktestJobError,
  IBacktestJobsResponse,
  IBacktestRequest,
  IBacktestSpec,
  IBacktestStrategiesResponse,
  IBacktestStrategyFile,
  IBacktestSummary,
  IBrokerProfile,
  IBrokerProfilesResponse
} from '../models';

type RequiredKeys<T> = {
  [K in keyof T]-?: object extends Pick<T, K> ? never : K;
}[keyof T];
type OptionalKeys<T> = Exclude<keyof T, RequiredKeys<T>>;
type Missing<T, L extends readonly PropertyKey[]> = Exclude<keyof T, L[number]>;

interface IFieldLists {
  required: string[];
  optional: string[];
}

/** Field lists of `T`; compiles only when they name every field of `T`. */
function fieldsOf<T>() {
  return <
    const R extends readonly RequiredKeys<T>[],
    const O extends readonly OptionalKeys<T>[]
  >(
    required: R,
    optional: O,
    ...complete: [Missing<T, [...R, ...O]>] extends [never]
      ? []
      : [{ missing: Missing<T, [...R, ...O]> }]
  ): IFieldLists => ({
    required: [...required].map(String),
    optional: [...optional].map(String)
  });
}

interface ISchemaObject {
  required?: string[];
  properties?: Record<string, unknown>;
}

function expectSameFields(schema: ISchemaObject, fields: IFieldLists): void {
  const properties = Object.keys(schema.properties ?? {}).sort();
  expect([...fields.required, ...fields.optional].sort()).toEqual(properties);
  expect([...fields.required].sort()).toEqual(
    [...(schema.required ?? [])].sort()
  );
}

function sub(schema: unknown, ...path: (string | number)[]): ISchemaObject {
  let node: unknown = schema;
  for (const key of path) {
    node = (node as Record<string, unknown>)[key];
    expect(node).toBeDefined();
  }
  return node as ISchemaObject;
}

/** The object branch of an `anyOf: [{type: null}, {type: object, …}]`. */
function objectBranch(schema: unknown): ISchemaObject {
  const anyOf = (schema as { anyOf: { type?: string }[] }).anyOf;
  expect(anyOf.map(s => s.type)).toEqual(['null', 'object']);
  return anyOf[1] as ISchemaObject;
}

const SPEC_FIELDS = fieldsOf<IBacktestSpec>()(
  ['symbols', 'start', 'end'],
  [
    'strategy_file',
    'strategy_source',
    'strategy_class',
    'cash',
    'profile',
    'commission',
    'min_commission',
    'slippage',
    'volume_cap',
    'benchmark',
    'params',
    'timeout_s',
    'label'
  ]
);

const JOB_FIELDS = fieldsOf<IBacktestJob>()(
  [
    'id',
    'status',
    'progress',
    'spec',
    'submitted',
    'started',
    'finished',
    'error',
    'summary',
    'attempts',
    'archived',
    'label'
  ],
  ['kind']
);

function expectJobSchema(job: ISchemaObject): void {
  expectSameFields(job, JOB_FIELDS);
  expectSameFields(sub(job, 'properties', 'spec'), SPEC_FIELDS);
  expectSameFields(
    objectBranch(sub(job, 'properties', 'error')),
    fieldsOf<IBacktestJobError>()(['error', 'message'], ['hint', 'traceback'])
  );
  expectSameFields(
    objectBranch(sub(job, 'properties', 'summary')),
    fieldsOf<IBacktestSummary>()(
      [
        'final_value',
        'total_return',
        'annual_return',
        'sharpe',
        'max_drawdown',
        'trade_count'
      ],
      []
    )
  );
  const status = sub(job, 'properties', 'status') as { enum?: string[] };
  const all: Record<BacktestStatus, true> = {
    queued: true,
    running: true,
    done: true,
    failed: true,
    cancelled: true
  };
  expect(status.enum).toEqual(Object.keys(all));
  expect(status.enum).toEqual([...BACKTEST_STATUSES]);
}

describe('backtest wire models follow server_extension/schema', () => {
  it('backtest_job', () => {
    expectJobSchema(jobSchema);
  });

  it('backtest_jobs', () => {
    expectSameFields(
      jobsSchema,
      fieldsOf<IBacktestJobsResponse>()(['jobs', 'total'], [])
    );
    expectJobSchema(sub(jobsSchema, 'properties', 'jobs', 'items'));
  });

  it('backtest_request', () => {
    expectSameFields(
      requestSchema,
      fieldsOf<IBacktestRequest>()(
        ['symbols', 'start', 'end'],
        [
          'strategy_file',
          'strategy_source',
          'strategy_class',
          'cash',
          'profile',
          'commission',
          'min_commission',
          'slippage',
          'volume_cap',
          'benchmark',
          'params',
          'timeout_s',
          'label'
        ]
      )
    );
  });

  it('backtest_strategies', () => {
    expectSameFields(
      strategiesSchema,
      fieldsOf<IBacktestStrategiesResponse>()(['strategies'], [])
    );
    expectSameFields(
      sub(strategiesSchema, 'properties', 'strategies', 'items'),
      fieldsOf<IBacktestStrategyFile>()(['path', 'classes', 'params'], [])
    );
  });

  it('backtest_profiles', () => {
    expectSameFields(
      profilesSchema,
      fieldsOf<IBrokerProfilesResponse>()(['profiles'], [])
    );
    expectSameFields(
      sub(profilesSchema, 'properties', 'profiles', 'items'),
      fieldsOf<IBrokerProfile>()(
        [
          'name',
          'commission_rate',
          'min_commission',
          'slippage',
          'rounding',
          'builtin'
        ],
        ['separate_exchange_fees', 'description']
      )
    );
    const rounding = sub(
      profilesSchema,
      'properties',
      'profiles',
      'items',
      'properties',
      'rounding'
    ) as { enum?: string[] };
    const all: Record<FeeRounding, true> = {
      half_up: true,
      half_even: true,
      up: true,
      down: true
    };
    expect(rounding.enum).toEqual(Object.keys(all));
  });
});
