/**
 * The job list of the backtest panel (回测任务): status, progress, summary
 * numbers and the actions of each job.
 */
import * as React from 'react';

import { dashboardUrl } from '../../api';
import { formatTimestamp } from '../../health';
import type { ITrans } from '../../i18n';
import type { IBacktestJob } from '../../models';
import {
  elapsedSeconds,
  formatMoney,
  formatPct,
  formatRatio,
  isActive,
  jobTitle,
  statusLabel,
  statusTone,
  strategyText,
  trendColor,
  trendOf
} from './logic';

/** Props of {@link JobList}. */
export interface IJobListProps {
  trans: ITrans;
  /** Null while the first list is loading. */
  jobs: IBacktestJob[] | null;
  total: number;
  /** Up/down colour convention of the settings (`red-up`, `green-up`). */
  colorConvention: string;
  /** Why the list could not be refreshed. */
  error: string | null;
  /** Ids of jobs with a cancel request in flight. */
  cancelling: ReadonlySet<string>;
  showArchived: boolean;
  onCancel: (job: IBacktestJob) => void;
  onOpenReport: (job: IBacktestJob) => void;
  onRefresh: () => void;
  onShowArchived: (show: boolean) => void;
}

/** The list of jobs, newest first. */
export function JobList(props: IJobListProps): JSX.Element {
  const { trans, jobs, total, error, showArchived } = props;
  return (
    <section
      className="jp-QuantBacktest-jobs"
      aria-label={trans.__('Backtest jobs')}
    >
      <div className="jp-QuantBacktest-jobsHeader">
        <h3 className="jp-QuantBacktest-heading">
          {trans.__('Backtest jobs')}
          {jobs && (
            <span
              className="jp-QuantBacktest-count"
              data-testid="quant-backtest-count"
            >
              {total > jobs.length
                ? trans.__('%1 of %2', jobs.length, total)
                : String(jobs.length)}
            </span>
          )}
        </h3>
        <label className="jp-QuantBacktest-archived">
          <input
            type="checkbox"
            data-testid="quant-backtest-show-archived"
            checked={showArchived}
            onChange={e => props.onShowArchived(e.target.checked)}
          />
          {trans.__('Show archived')}
        </label>
        <button
          type="button"
          className="jp-QuantBacktest-iconButton"
          data-testid="quant-backtest-refresh"
          title={trans.__('Refresh')}
          aria-label={trans.__('Refresh')}
          onClick={props.onRefresh}
        >
          ⟳
        </button>
      </div>
      {error && (
        <div
          className="jp-QuantBacktest-listError"
          data-testid="quant-backtest-list-error"
          role="alert"
        >
          {error}
        </div>
      )}
      {jobs === null && !error && (
        <div className="jp-QuantBacktest-note">{trans.__('Loading jobs…')}</div>
      )}
      {jobs && jobs.length === 0 && (
        <div
          className="jp-QuantBacktest-note jp-QuantBacktest-empty"
          data-testid="quant-backtest-empty"
        >
          {trans.__('No backtests yet: fill in the form and submit one.')}
        </div>
      )}
      {jobs && jobs.length > 0 && (
        <ul
          className="jp-QuantBacktest-jobList"
          data-testid="quant-backtest-jobs"
        >
          {jobs.map(job => (
            <JobItem key={job.id} job={job} {...props} />
          ))}
        </ul>
      )}
    </section>
  );
}

/** One number of a job's summary. */
function Metric(props: {
  name: string;
  label: string;
  value: string;
  color?: string;
  trend?: string;
}): JSX.Element {
  return (
    <div
      className="jp-QuantBacktest-metric"
      data-testid={`quant-backtest-${props.name}`}
      data-trend={props.trend}
    >
      <span className="jp-QuantBacktest-metricLabel">{props.label}</span>
      <span
        className="jp-QuantBacktest-metricValue"
        style={props.color ? { color: props.color } : undefined}
      >
        {props.value}
      </span>
    </div>
  );
}

/** One job of the list. */
export function JobItem(
  props: IJobListProps & { job: IBacktestJob }
): JSX.Element {
  const { job, trans, colorConvention, cancelling } = props;
  const active = isActive(job.status);
  const spec = job.spec;
  const summary = job.summary;
  const elapsed = elapsedSeconds(job);
  const title = jobTitle(job, trans);
  const strategy = strategyText(job, trans);
  const progress = Math.max(0, Math.min(1, job.progress || 0));
  return (
    <li
      className={`jp-QuantBacktest-job jp-mod-${job.status}`}
      data-testid="quant-backtest-job"
      data-job-id={job.id}
      data-status={job.status}
    >
      <div className="jp-QuantBacktest-jobHead">
        <span
          className={`jp-QuantBacktest-status jp-mod-${statusTone(job.status)}`}
          data-testid="quant-backtest-status"
          data-status={job.status}
        >
          {statusLabel(job.status, trans)}
        </span>
        <span className="jp-QuantBacktest-jobTitle" title={job.id}>
          {title}
        </span>
        <span className="jp-QuantBacktest-jobActions">
          {active && (
            <button
              type="button"
              className="jp-mod-styled jp-QuantBacktest-action"
              data-testid="quant-backtest-cancel"
              disabled={cancelling.has(job.id)}
              onClick={() => props.onCancel(job)}
            >
              {cancelling.has(job.id)
                ? trans.__('Cancelling…')
                : trans.__('Cancel')}
            </button>
          )}
          {job.status === 'done' && (
            <button
              type="button"
              className="jp-mod-styled jp-mod-accept jp-QuantBacktest-action"
              data-testid="quant-backtest-open-report"
              onClick={() => props.onOpenReport(job)}
            >
              {trans.__('Open report')}
            </button>
          )}
          {job.status === 'done' && (
            <a
              className="jp-mod-styled jp-QuantBacktest-action"
              data-testid="quant-backtest-tearsheet"
              href={dashboardUrl('tearsheet', {
                report: job.id,
                lang: trans.language
              })}
              target="_blank"
              rel="noopener noreferrer"
              title={trans.__('Open the tablet tearsheet (Voila) in a new tab')}
            >
              {trans.__('Tearsheet')}
            </a>
          )}
        </span>
      </div>
      <div className="jp-QuantBacktest-jobMeta">
        {title !== strategy && <span>{strategy}</span>}
        <span data-testid="quant-backtest-job-symbols">
          {spec.symbols.join(', ')}
        </span>
        <span>{trans.__('%1 to %2', spec.start, spec.end)}</span>
        <span title={trans.__('Submitted')}>
          {formatTimestamp(job.submitted)}
        </span>
        {elapsed !== null && (
          <span>{trans.__('%1 s', elapsed.toFixed(1))}</span>
        )}
        {job.attempts > 1 && (
          <span>{trans.__('attempt %1', job.attempts)}</span>
        )}
      </div>
      {active && (
        <div className="jp-QuantBacktest-progressRow">
          <progress
            className="jp-QuantBacktest-progress"
            data-testid="quant-backtest-progress"
            max={1}
            value={job.status === 'queued' ? undefined : progress}
            aria-label={trans.__('Backtest progress')}
          />
          <span className="jp-QuantBacktest-progressText">
            {job.status === 'queued'
              ? trans.__('Waiting for a worker…')
              : `${Math.round(progress * 100)}%`}
          </span>
        </div>
      )}
      {summary && (
        <div
          className="jp-QuantBacktest-summary"
          data-testid="quant-backtest-summary"
        >
          <Metric
            name="total-return"
            label={trans.__('Total return')}
            value={formatPct(summary.total_return)}
            color={trendColor(summary.total_return, colorConvention)}
            trend={trendOf(summary.total_return)}
          />
          <Metric
            name="annual-return"
            label={trans.__('Annual return')}
            value={formatPct(summary.annual_return)}
            color={trendColor(summary.annual_return, colorConvention)}
            trend={trendOf(summary.annual_return)}
          />
          <Metric
            name="sharpe"
            label={trans.__('Sharpe')}
            value={formatRatio(summary.sharpe)}
          />
          <Metric
            name="max-drawdown"
            label={trans.__('Max drawdown')}
            value={formatPct(summary.max_drawdown, false)}
          />
          <Metric
            name="final-value"
            label={trans.__('Final value')}
            value={formatMoney(summary.final_value)}
          />
          <Metric
            name="trade-count"
            label={trans.__('Trades')}
            value={String(summary.trade_count)}
          />
        </div>
      )}
      {job.status === 'failed' && job.error && (
        <div
          className="jp-QuantBacktest-jobError"
          data-testid="quant-backtest-job-error"
          role="alert"
        >
          <div className="jp-QuantBacktest-errorMessage">
            {job.error.message}
          </div>
          {job.error.hint && (
            <div className="jp-QuantBacktest-errorHint">
              {trans.__('What to do: %1', job.error.hint)}
            </div>
          )}
          {job.error.traceback && (
            <details
              className="jp-QuantBacktest-traceback"
              data-testid="quant-backtest-traceback"
            >
              <summary>{trans.__('Traceback')}</summary>
              <pre>{job.error.traceback}</pre>
            </details>
          )}
        </div>
      )}
      {job.status === 'failed' && !job.error && (
        <div
          className="jp-QuantBacktest-jobError"
          data-testid="quant-backtest-job-error"
        >
          {trans.__('The backtest failed without a message.')}
        </div>
      )}
    </li>
  );
}
