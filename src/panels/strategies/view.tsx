/**
 * The strategy version history (策略版本历史): the list of versions on the
 * left (number, time, message, size; pick two to diff), the picked version's
 * source or the coloured unified diff on the right; restore a version or
 * hand it to the backtest panel ("回测此版本").
 */
import * as React from 'react';

import type { ITrans } from '../../i18n';
import type { IStrategyVersion } from '../../models';
import {
  diffStats,
  formatBytes,
  formatTime,
  IHistoryState,
  StrategyHistory
} from './logic';

/** Props of {@link StrategyHistoryView}. */
export interface IStrategyHistoryViewProps {
  history: StrategyHistory;
  state: IHistoryState;
  trans: ITrans;
}

function VersionRow(props: {
  v: IStrategyVersion;
  state: IHistoryState;
  history: StrategyHistory;
  trans: ITrans;
  latest: number;
}): JSX.Element {
  const { v, state, history, trans, latest } = props;
  const selected = state.selected === v.version;
  return (
    <tr
      className={`jp-QuantStrategyHistory-version${selected ? ' jp-mod-selected' : ''}`}
      data-testid="quant-strategy-version"
      data-version={v.version}
      aria-selected={selected}
      onClick={() => history.select(v.version)}
    >
      <td className="jp-QuantStrategyHistory-diffPick">
        <input
          type="radio"
          name="from"
          title={trans.__('Compare from this version')}
          aria-label={trans.__('Compare from v%1', v.version)}
          data-testid="quant-strategy-diff-from"
          checked={state.diffFrom === v.version}
          onChange={() => history.setDiffPair(v.version, null)}
        />
        <input
          type="radio"
          name="to"
          title={trans.__('Compare to this version')}
          aria-label={trans.__('Compare to v%1', v.version)}
          data-testid="quant-strategy-diff-to"
          checked={state.diffTo === v.version}
          onChange={() => history.setDiffPair(null, v.version)}
        />
      </td>
      <td className="jp-QuantStrategyHistory-number">
        {`v${v.version}`}
        {v.version === latest && (
          <span className="jp-QuantStrategyHistory-latest">
            {trans.__('latest')}
          </span>
        )}
      </td>
      <td className="jp-QuantStrategyHistory-time">{formatTime(v.created)}</td>
      <td className="jp-QuantStrategyHistory-message" title={v.message}>
        {v.message || '—'}
      </td>
      <td className="jp-QuantStrategyHistory-size">{formatBytes(v.size)}</td>
    </tr>
  );
}

function Pane(props: { state: IHistoryState; trans: ITrans }): JSX.Element {
  const { state, trans } = props;
  const pane = state.pane;
  if (pane.kind === 'version') {
    return (
      <div
        className="jp-QuantStrategyHistory-pane"
        data-testid="quant-strategy-source"
        data-version={pane.version}
      >
        <div className="jp-QuantStrategyHistory-paneTitle">
          {trans.__('%1, version %2', state.name, pane.version)}
        </div>
        <pre className="jp-QuantStrategyHistory-code">{pane.content}</pre>
      </div>
    );
  }
  if (pane.kind === 'diff') {
    const stats = diffStats(pane.lines);
    return (
      <div
        className="jp-QuantStrategyHistory-pane"
        data-testid="quant-strategy-diff"
        data-from={pane.from}
        data-to={pane.to}
      >
        <div className="jp-QuantStrategyHistory-paneTitle">
          {trans.__('Changes from v%1 to v%2', pane.from, pane.to)}
          <span className="jp-QuantStrategyHistory-stats">
            <span className="jp-QuantStrategyHistory-added">
              +{stats.added}
            </span>{' '}
            <span className="jp-QuantStrategyHistory-removed">
              −{stats.removed}
            </span>
          </span>
        </div>
        {pane.empty ? (
          <div className="jp-QuantStrategyHistory-note">
            {trans.__('The two versions are identical.')}
          </div>
        ) : (
          <pre className="jp-QuantStrategyHistory-code jp-QuantStrategyHistory-diffText">
            {pane.lines.map((line, i) => (
              <div
                key={i}
                className={`jp-QuantStrategyHistory-line jp-mod-${line.kind}`}
                data-kind={line.kind}
              >
                <span className="jp-QuantStrategyHistory-lineNo">
                  {line.oldLine ?? ''}
                </span>
                <span className="jp-QuantStrategyHistory-lineNo">
                  {line.newLine ?? ''}
                </span>
                <span className="jp-QuantStrategyHistory-lineText">
                  {line.text || ' '}
                </span>
              </div>
            ))}
          </pre>
        )}
      </div>
    );
  }
  return (
    <div className="jp-QuantStrategyHistory-pane jp-QuantStrategyHistory-note">
      {trans.__('Pick a version to show, or two versions to compare.')}
    </div>
  );
}

/** The history view (controlled by a {@link StrategyHistory}). */
export function StrategyHistoryView(
  props: IStrategyHistoryViewProps
): JSX.Element {
  const { history, state, trans } = props;
  const versions = state.versions ?? [];
  const latest = versions.length ? versions[versions.length - 1].version : 0;
  const selected = state.selected;
  return (
    <div
      className="jp-QuantStrategyHistory"
      data-testid="quant-strategy-history"
      data-name={state.name}
      data-busy={state.busy}
    >
      <div className="jp-QuantStrategyHistory-side">
        <div className="jp-QuantStrategyHistory-actions">
          <button
            type="button"
            className="jp-mod-styled"
            data-testid="quant-strategy-show"
            disabled={selected === null || state.busy}
            onClick={() => selected !== null && void history.show(selected)}
          >
            {trans.__('Show version')}
          </button>
          <button
            type="button"
            className="jp-mod-styled"
            data-testid="quant-strategy-diff-button"
            disabled={
              state.diffFrom === null || state.diffTo === null || state.busy
            }
            onClick={() => void history.diff()}
          >
            {trans.__('Compare')}
          </button>
          <button
            type="button"
            className="jp-mod-styled jp-mod-warn"
            data-testid="quant-strategy-restore"
            disabled={selected === null || selected === latest || state.busy}
            title={trans.__(
              'Store this version again as the newest one (nothing is lost)'
            )}
            onClick={() => selected !== null && void history.restore(selected)}
          >
            {trans.__('Restore')}
          </button>
          <button
            type="button"
            className="jp-mod-styled jp-mod-accept"
            data-testid="quant-strategy-backtest"
            disabled={selected === null}
            onClick={() => history.backtest()}
          >
            {trans.__('Backtest this version')}
          </button>
          <button
            type="button"
            className="jp-mod-styled"
            data-testid="quant-strategy-reload"
            disabled={state.busy}
            onClick={() => void history.load()}
          >
            {trans.__('Refresh')}
          </button>
        </div>
        {state.error && (
          <div
            className="jp-QuantStrategyHistory-error"
            data-testid="quant-strategy-error"
            role="alert"
          >
            <div>{state.error.message}</div>
            {state.error.hint && (
              <div>{trans.__('What to do: %1', state.error.hint)}</div>
            )}
          </div>
        )}
        {state.restored && (
          <div
            className="jp-QuantStrategyHistory-note"
            data-testid="quant-strategy-restored"
          >
            {trans.__('Restored as version %1.', state.restored.version)}
          </div>
        )}
        {state.versions === null ? (
          <div className="jp-QuantStrategyHistory-note">
            {trans.__('Loading versions…')}
          </div>
        ) : (
          <table className="jp-QuantStrategyHistory-table">
            <thead>
              <tr>
                <th title={trans.__('Compare from / to')}>⇄</th>
                <th>{trans.__('Version')}</th>
                <th>{trans.__('Saved')}</th>
                <th>{trans.__('Message')}</th>
                <th>{trans.__('Size')}</th>
              </tr>
            </thead>
            <tbody>
              {[...versions].reverse().map(v => (
                <VersionRow
                  key={v.version}
                  v={v}
                  state={state}
                  history={history}
                  trans={trans}
                  latest={latest}
                />
              ))}
            </tbody>
          </table>
        )}
      </div>
      <Pane state={state} trans={trans} />
    </div>
  );
}
