/**
 * Data health widgets of the market panel: the source-health badge
 * (数据源 状态) with its details popover, the update progress bar and the
 * data-check findings table.
 */
import * as React from 'react';

import type { QuantClient } from '../api';
import {
  circuitLabel,
  circuitTone,
  effectiveOverall,
  formatEta,
  formatTimestamp,
  IUpdateView,
  overallLabel,
  overallTone,
  progressFraction,
  sourceLabel,
  SOURCES_REFRESH_MS
} from '../health';
import type { ITrans } from '../i18n';
import type { ICheckResponse, ISourcesResponse } from '../models';

interface ISourceBadgeProps {
  client: QuantClient;
  trans: ITrans;
  /** Bumped by the panel to ask for a refresh now (e.g. an update finished). */
  refreshKey: number;
  /** Whether the panel is visible (no polling while hidden). */
  isVisible: () => boolean;
  /** Turn a failure into a readable message. */
  describe: (error: unknown) => { message: string; hint: string | null };
}

interface ISourceBadgeState {
  health: ISourcesResponse | null;
  error: string | null;
  open: boolean;
}

/** The 数据源 badge in the panel header; click for the details per source. */
export class SourceBadge extends React.Component<
  ISourceBadgeProps,
  ISourceBadgeState
> {
  constructor(props: ISourceBadgeProps) {
    super(props);
    this.state = { health: null, error: null, open: false };
  }

  componentDidMount(): void {
    void this.refresh();
    this._timer = window.setInterval(() => {
      if (this.props.isVisible() && document.visibilityState !== 'hidden') {
        void this.refresh();
      }
    }, SOURCES_REFRESH_MS);
  }

  componentDidUpdate(prev: ISourceBadgeProps): void {
    if (prev.refreshKey !== this.props.refreshKey) {
      void this.refresh();
    }
  }

  componentWillUnmount(): void {
    this._disposed = true;
    window.clearInterval(this._timer);
    this._abort?.abort();
  }

  /** Fetch the source health now. */
  async refresh(): Promise<void> {
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    try {
      const health = await this.props.client.sources({ signal: abort.signal });
      if (!this._disposed && !abort.signal.aborted) {
        this.setState({ health, error: null });
      }
    } catch (error) {
      if (this._disposed || abort.signal.aborted) {
        return;
      }
      this.setState({ error: this.props.describe(error).message });
    }
  }

  render(): React.ReactNode {
    const { trans } = this.props;
    const { health, error, open } = this.state;
    const overall = health ? effectiveOverall(health) : null;
    const tone = error ? 'error' : overall ? overallTone(overall) : 'neutral';
    const text = error
      ? trans.__('Error')
      : overall
        ? overallLabel(overall, trans)
        : '…';
    return (
      <div className="jp-QuantHealth" onKeyDown={this._onKeyDown}>
        <button
          type="button"
          className={`jp-QuantHealth-badge jp-mod-${tone}`}
          data-testid="quant-source-badge"
          data-overall={overall ?? (error ? 'error' : 'loading')}
          data-server-overall={health?.overall ?? ''}
          aria-expanded={open}
          aria-haspopup="dialog"
          title={error ?? trans.__('Data source health: click for details')}
          onClick={() => this._toggle()}
        >
          <span className="jp-QuantHealth-dot" aria-hidden="true" />
          <span className="jp-QuantHealth-name">
            {trans.__('Data sources')}
          </span>
          <span className="jp-QuantHealth-text">{text}</span>
        </button>
        {open && this._renderDetails(trans)}
      </div>
    );
  }

  private _renderDetails(trans: ITrans): React.ReactNode {
    const { health, error } = this.state;
    return (
      <div
        className="jp-QuantHealth-details"
        data-testid="quant-source-details"
        role="dialog"
        aria-label={trans.__('Data source health')}
      >
        <div className="jp-QuantHealth-detailsHeader">
          <span className="jp-QuantHealth-detailsTitle">
            {trans.__('Data source health')}
          </span>
          <button
            type="button"
            className="jp-QuantHealth-iconButton"
            title={trans.__('Refresh')}
            onClick={() => void this.refresh()}
          >
            ⟳
          </button>
          <button
            type="button"
            className="jp-QuantHealth-iconButton"
            title={trans.__('Dismiss')}
            aria-label={trans.__('Dismiss')}
            onClick={() => this.setState({ open: false })}
          >
            ×
          </button>
        </div>
        {error && <div className="jp-QuantHealth-error">{error}</div>}
        {health && (
          <table className="jp-QuantHealth-table">
            <thead>
              <tr>
                <th>{trans.__('Source')}</th>
                <th>{trans.__('Circuit breaker')}</th>
                <th>{trans.__('Successes')}</th>
                <th>{trans.__('Failures')}</th>
                <th>{trans.__('Last success')}</th>
                <th>{trans.__('Last failure')}</th>
                <th>{trans.__('Last error')}</th>
              </tr>
            </thead>
            <tbody>
              {health.items.map(item => {
                const used = item.successes + item.failures > 0;
                const tone = circuitTone(
                  item.state,
                  item.consecutive_failures,
                  used
                );
                return (
                  <tr
                    key={item.source}
                    data-testid="quant-source-row"
                    data-source={item.source}
                    data-state={item.state}
                  >
                    <td>{sourceLabel(item.source, trans)}</td>
                    <td>
                      <span className={`jp-QuantHealth-state jp-mod-${tone}`}>
                        {circuitLabel(item.state, trans)}
                      </span>
                      {item.state !== 'closed' && item.retry_in_s > 0 && (
                        <div className="jp-QuantHealth-retry">
                          {trans.__('retry in %1 s', item.retry_in_s)}
                        </div>
                      )}
                      {item.consecutive_failures > 0 && (
                        <div className="jp-QuantHealth-retry">
                          {trans.__(
                            '%1 failures in a row',
                            item.consecutive_failures
                          )}
                        </div>
                      )}
                    </td>
                    <td className="jp-QuantHealth-num">{item.successes}</td>
                    <td className="jp-QuantHealth-num">{item.failures}</td>
                    <td className="jp-QuantHealth-time">
                      {formatTimestamp(item.last_success_at)}
                    </td>
                    <td className="jp-QuantHealth-time">
                      {formatTimestamp(item.last_failure_at)}
                    </td>
                    <td className="jp-QuantHealth-lastError">
                      {item.last_error ?? '—'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
    );
  }

  private _toggle(): void {
    const open = !this.state.open;
    this.setState({ open });
    if (open) {
      void this.refresh();
    }
  }

  private _onKeyDown = (event: React.KeyboardEvent): void => {
    if (event.key === 'Escape' && this.state.open) {
      event.stopPropagation();
      this.setState({ open: false });
    }
  };

  private _timer = 0;
  private _abort: AbortController | null = null;
  private _disposed = false;
}

interface IUpdateProgressProps {
  view: IUpdateView;
  trans: ITrans;
  onDismiss: () => void;
}

/** Progress bar and outcome of a data update (below the toolbar). */
export function UpdateProgress(
  props: IUpdateProgressProps
): JSX.Element | null {
  const { view, trans, onDismiss } = props;
  if (view.phase === 'idle') {
    return null;
  }
  const job = view.job;
  const fraction = job ? progressFraction(job) : null;
  const running = view.phase === 'starting' || view.phase === 'running';
  let label: string;
  if (view.phase === 'starting') {
    label = trans.__('Starting the update…');
  } else if (running && job) {
    const parts = [
      job.total > 0
        ? trans.__('%1 / %2 symbols', job.done, job.total)
        : trans.__('Planning…')
    ];
    if (job.symbol) {
      parts.push(trans.__('fetching %1', job.symbol));
    }
    const eta = formatEta(job.eta_s, trans);
    if (eta) {
      parts.push(eta);
    }
    label = trans.__('Updating: %1', parts.join(' · '));
  } else if (view.phase === 'done') {
    label =
      job?.failed_symbols && job.failed_symbols.length > 0
        ? trans.__('Update finished; failed: %1', job.failed_symbols.join(', '))
        : trans.__('Update finished');
  } else {
    label = trans.__('Update failed');
  }
  const message = outcomeMessage(view);
  return (
    <div
      className={`jp-QuantUpdate jp-mod-${view.phase}`}
      data-testid="quant-update-progress"
      data-state={view.phase}
      aria-live="polite"
    >
      <div className="jp-QuantUpdate-row">
        <progress
          className="jp-QuantUpdate-bar"
          max={1}
          value={fraction ?? undefined}
          aria-label={trans.__('Update progress')}
        />
        <span className="jp-QuantUpdate-label">{label}</span>
        {!running && (
          <button
            type="button"
            className="jp-QuantHealth-iconButton"
            title={trans.__('Dismiss')}
            aria-label={trans.__('Dismiss')}
            onClick={onDismiss}
          >
            ×
          </button>
        )}
      </div>
      {message && (
        <div
          className="jp-QuantUpdate-message"
          data-testid="quant-update-message"
          role={view.phase === 'failed' ? 'alert' : undefined}
        >
          {message.text}
          {message.hint && (
            <div className="jp-QuantUpdate-hint">
              {trans.__('What to do: %1', message.hint)}
            </div>
          )}
        </div>
      )}
    </div>
  );
}

/** The server's words about a finished (or refused) update. */
export function outcomeMessage(
  view: IUpdateView
): { text: string; hint: string | null } | null {
  if (view.error) {
    return { text: view.error.message, hint: view.error.hint };
  }
  const job = view.job;
  if (!job || job.state === 'running') {
    return null;
  }
  const error = job.error;
  const errorMessage =
    error && typeof error.message === 'string' ? error.message : '';
  const hint = error && typeof error.hint === 'string' ? error.hint : null;
  const lines = [job.message];
  if (errorMessage && !job.message.includes(errorMessage)) {
    lines.push(errorMessage);
  }
  const text = lines.filter(Boolean).join('\n');
  return text || hint ? { text, hint } : null;
}

/** Findings of `GET /check`, as a table (body of a dialog). */
export function CheckFindings(props: {
  result: ICheckResponse;
  symbol: string;
  trans: ITrans;
}): JSX.Element {
  const { result, symbol, trans } = props;
  return (
    <div className="jp-QuantCheck" data-testid="quant-check-findings">
      <p className="jp-QuantCheck-summary">
        {trans.__(
          '%1: %2 errors, %3 warnings',
          symbol,
          result.errors,
          result.warnings
        )}
      </p>
      {result.items.length === 0 ? (
        <p>{trans.__('No problems found.')}</p>
      ) : (
        <table className="jp-QuantHealth-table">
          <thead>
            <tr>
              <th>{trans.__('Severity')}</th>
              <th>{trans.__('Date')}</th>
              <th>{trans.__('Check')}</th>
              <th>{trans.__('Message')}</th>
            </tr>
          </thead>
          <tbody>
            {result.items.map((item, i) => (
              <tr key={i} data-severity={item.severity}>
                <td>
                  <span
                    className={`jp-QuantHealth-state jp-mod-${
                      item.severity === 'error' ? 'error' : 'warn'
                    }`}
                  >
                    {item.severity === 'error'
                      ? trans.__('Error')
                      : trans.__('Warning')}
                  </span>
                </td>
                <td>{item.date ?? '—'}</td>
                <td>{item.check}</td>
                <td className="jp-QuantHealth-lastError">
                  {item.message}
                  {item.hint && (
                    <div className="jp-QuantUpdate-hint">
                      {trans.__('What to do: %1', item.hint)}
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
