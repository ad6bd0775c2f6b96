/**
 * The backtest wire models (src/models/backtest.ts) must match the server's
 * JSON Schema (`server_extension/schema/backtest_*.json`, generated from
 * `jupyterlab_quant/server/models.py`).
 *
 * Same pattern (and helpers, fieldLists.ts) as models.spec.ts: each model
 * lists its required and optional fields; the type checker rejects a list that
 * misses or invents a field of the interface, and the tests compare the lists
 * with the schema, so drift on either side fails.
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
import {
  allOf,
  enumOf,
  expectSameFields,
  fieldsOf,
  ISchemaObject,
  sub
} from './fieldLists';

/** The object branch of an `anyOf: [{type: null}, {type: object, …}]`. */
function objectBranch(schema: unknown): ISchemaObject {
  const anyOf = (schema as { anyOf: { type?: string }[] }).anyOf;
  expect(anyOf.map(s => s.type)).toEqual(['null', 'object']);
  return anyOf[1] as ISchemaObject;
}

/**
 * Fields of a backtest request, and of the normalised spec the server keeps
 * with a job (same names; each list is checked against both interfaces).
 */
const SPEC_REQUIRED = ['symbols', 'start', 'end'] as const;
const SPEC_OPTIONAL = [
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
] as const;

const SPEC_FIELDS = fieldsOf<IBacktestSpec>()(SPEC_REQUIRED, SPEC_OPTIONAL);

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
  const status = enumOf(job, 'status');
  expect(status).toEqual(
    allOf<BacktestStatus>({
      queued: true,
      running: true,
      done: true,
      failed: true,
      cancelled: true
    })
  );
  expect(status).toEqual([...BACKTEST_STATUSES]);
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
      fieldsOf<IBacktestRequest>()(SPEC_REQUIRED, SPEC_OPTIONAL)
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
    expect(
      enumOf(sub(profilesSchema, 'properties', 'profiles', 'items'), 'rounding')
    ).toEqual(
      allOf<FeeRounding>({
        half_up: true,
        half_even: true,
        up: true,
        down: true
      })
    );
  });
});
