/**
 * The rules table of the risk panel (风控规则): name, kind, parameters,
 * enabled switch, live status, edit and delete.
 */
import * as React from 'react';

import type { IShownError } from '../../errors';
import { formatTimestamp } from '../../health';
import type { ITrans } from '../../i18n';
import { formatExchangeTime } from '../../live/format';
import type { IRiskRule, IRuleType } from '../../models/live';
import {
  findType,
  kindLabel,
  paramsSummary,
  ruleStateLabel,
  ruleStateTone,
  scopeLabel,
  statusNumbers
} from './logic';

/** Props of {@link RulesSection}. */
export interface IRulesSectionProps {
  trans: ITrans;
  types: IRuleType[] | null;
  rules: IRiskRule[] | null;
  loadError: IShownError | null;
  actionError: IShownError | null;
  busy: ReadonlySet<number>;
  onAdd: () => void;
  onEdit: (rule: IRiskRule) => void;
  onToggle: (rule: IRiskRule, enabled: boolean) => void;
  onDelete: (rule: IRiskRule) => void;
  onReload: () => void;
  onDismissError: () => void;
}

/** A shown error with its hint. */
export function ErrorBox(props: {
  trans: ITrans;
  error: IShownError;
  testid?: string;
  onRetry?: () => void;
  onDismiss?: () => void;
}): JSX.Element {
  const { trans, error } = props;
  return (
    <div className="jp-QuantLive-error" role="alert" data-testid={props.testid}>
      <div>{error.message}</div>
      {error.hint && (
        <div className="jp-QuantLive-hint">
          {trans.__('What to do: %1', error.hint)}
        </div>
      )}
      {(props.onRetry || props.onDismiss) && (
        <div className="jp-QuantLive-errorButtons">
          {props.onRetry && (
            <button
              type="button"
              className="jp-mod-styled"
              onClick={props.onRetry}
            >
              {trans.__('Retry')}
            </button>
          )}
          {props.onDismiss && (
            <button
              type="button"
              className="jp-mod-styled"
              onClick={props.onDismiss}
            >
              {trans.__('Dismiss')}
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** The status badge of a rule, with its message and value/threshold. */
export function RuleStatusBadge(props: {
  trans: ITrans;
  rule: IRiskRule;
}): JSX.Element {
  const { trans, rule } = props;
  const status = rule.status;
  const state = rule.enabled ? status?.state : 'disabled';
  const numbers = rule.enabled ? statusNumbers(status) : '';
  const checked = status?.checked_at
    ? trans.__('checked %1', formatExchangeTime(status.checked_at))
    : '';
  return (
    <div className="jp-QuantRisk-status" title={checked}>
      <span
        className={`jp-QuantLive-badge jp-mod-${ruleStateTone(state)}`}
        data-testid="jlq-risk-rule-state"
        data-state={state ?? 'unknown'}
      >
        {ruleStateLabel(state, trans)}
      </span>
      {numbers && (
        <span
          className="jp-QuantRisk-statusNumbers"
          data-testid="jlq-risk-rule-numbers"
          title={trans.__('value / threshold')}
        >
          {numbers}
        </span>
      )}
      {rule.enabled && status?.message && (
        <span
          className="jp-QuantRisk-statusMessage"
          data-testid="jlq-risk-rule-message"
        >
          {status.message}
        </span>
      )}
      {rule.enabled && status?.symbols && status.symbols.length > 0 && (
        <span className="jp-QuantRisk-statusSymbols">
          {status.symbols.join(' ')}
        </span>
      )}
    </div>
  );
}

/** One rule row; delete asks once more before it deletes. */
function RuleRow(props: IRulesSectionProps & { rule: IRiskRule }): JSX.Element {
  const { trans, rule, types, busy } = props;
  const [confirming, setConfirming] = React.useState(false);
  const type = findType(types, rule.kind);
  const isBusy = busy.has(rule.id);
  return (
    <tr
      className={`jp-QuantRisk-ruleRow${rule.enabled ? '' : ' jp-mod-disabled'}`}
      data-testid="jlq-risk-rule-row"
      data-rule-id={rule.id}
      data-kind={rule.kind}
      data-state={rule.enabled ? (rule.status?.state ?? 'unknown') : 'disabled'}
    >
      <td className="jp-QuantRisk-ruleName">
        <div>{rule.name || kindLabel(types, rule.kind, trans)}</div>
        {rule.strategy && (
          <div className="jp-QuantRisk-note">
            {trans.__('strategy %1', rule.strategy)}
          </div>
        )}
      </td>
      <td>
        <div>{kindLabel(types, rule.kind, trans)}</div>
        <div className="jp-QuantRisk-note">
          {scopeLabel(type?.scope ?? rule.scope, trans)}
        </div>
      </td>
      <td
        className="jp-QuantRisk-paramSummary"
        data-testid="jlq-risk-rule-params"
      >
        {paramsSummary(rule, type, trans) || '—'}
      </td>
      <td>
        <label className="jp-QuantLive-switch">
          <input
            type="checkbox"
            data-testid="jlq-risk-rule-enabled"
            checked={rule.enabled}
            disabled={isBusy}
            aria-label={trans.__('Enabled')}
            onChange={e => props.onToggle(rule, e.target.checked)}
          />
          <span>{rule.enabled ? trans.__('On') : trans.__('Off')}</span>
        </label>
      </td>
      <td>
        <RuleStatusBadge trans={trans} rule={rule} />
      </td>
      <td className="jp-QuantRisk-actions">
        {confirming ? (
          <>
            <button
              type="button"
              className="jp-mod-styled jp-mod-warn"
              data-testid="jlq-risk-rule-confirm-delete"
              disabled={isBusy}
              onClick={() => {
                setConfirming(false);
                props.onDelete(rule);
              }}
            >
              {trans.__('Delete')}
            </button>
            <button
              type="button"
              className="jp-mod-styled"
              onClick={() => setConfirming(false)}
            >
              {trans.__('Cancel')}
            </button>
          </>
        ) : (
          <>
            <button
              type="button"
              className="jp-mod-styled"
              data-testid="jlq-risk-rule-edit"
              disabled={isBusy || !type}
              onClick={() => props.onEdit(rule)}
            >
              {trans.__('Edit')}
            </button>
            <button
              type="button"
              className="jp-mod-styled"
              data-testid="jlq-risk-rule-delete"
              disabled={isBusy}
              title={trans.__('Delete this rule')}
              onClick={() => setConfirming(true)}
            >
              {trans.__('Delete…')}
            </button>
          </>
        )}
      </td>
    </tr>
  );
}

/** The rules table. */
export function RulesSection(props: IRulesSectionProps): JSX.Element {
  const { trans, rules, loadError, actionError } = props;
  return (
    <section
      className="jp-QuantRisk-section jp-QuantRisk-rules"
      data-testid="jlq-risk-rules"
      aria-label={trans.__('Risk rules')}
    >
      <div className="jp-QuantRisk-sectionHeader">
        <h3 className="jp-QuantRisk-heading">
          {trans.__('Risk rules')}
          {rules && <span className="jp-QuantLive-count">{rules.length}</span>}
        </h3>
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept"
          data-testid="jlq-risk-add-rule"
          disabled={!props.types || props.types.length === 0}
          onClick={props.onAdd}
        >
          {trans.__('Add rule')}
        </button>
      </div>
      {loadError && (
        <ErrorBox trans={trans} error={loadError} onRetry={props.onReload} />
      )}
      {actionError && (
        <ErrorBox
          trans={trans}
          error={actionError}
          testid="jlq-risk-rule-error"
          onDismiss={props.onDismissError}
        />
      )}
      {rules === null && !loadError && (
        <div className="jp-QuantRisk-note">{trans.__('Loading…')}</div>
      )}
      {rules && rules.length === 0 && (
        <div className="jp-QuantRisk-note" data-testid="jlq-risk-rules-empty">
          {trans.__(
            'No rules yet: add one (drawdown, daily loss, stop loss, concentration, …).'
          )}
        </div>
      )}
      {rules && rules.length > 0 && (
        <table className="jp-QuantLive-table jp-QuantRisk-ruleTable">
          <thead>
            <tr>
              <th>{trans.__('Name')}</th>
              <th>{trans.__('Type')}</th>
              <th>{trans.__('Rule parameters')}</th>
              <th>{trans.__('Enabled')}</th>
              <th>{trans.__('Status')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.map(rule => (
              <RuleRow key={rule.id} {...props} rule={rule} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** When the last check ran, for the toolbar. */
export function checkedLabel(checkedAt: string | null, trans: ITrans): string {
  if (!checkedAt) {
    return trans.__('Not checked yet');
  }
  // Exchange times have no zone; ISO times with a zone are shown locally.
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(checkedAt)
    ? formatTimestamp(checkedAt)
    : formatExchangeTime(checkedAt);
  return trans.__('Last check %1', text);
}
