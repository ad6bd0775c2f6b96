/**
 * The add/edit dialog of a risk rule: its fields are generated from the
 * parameter descriptors of `GET /risk/rule-types` (numbers with min/max and
 * unit, checkboxes for booleans). Client-side checks mirror min/max; when
 * the server still refuses, its message is shown and the dialog stays open.
 */
import * as React from 'react';

import { describeError, IShownError } from '../../errors';
import type { ITrans } from '../../i18n';
import { localized } from '../../live/format';
import type {
  IRiskRule,
  IRuleParamDescriptor,
  IRuleType,
  RuleParamValue
} from '../../models/live';
import {
  draftFor,
  findType,
  IRuleDraft,
  isNumericParam,
  RuleDraftErrors,
  scopeLabel,
  unitLabel,
  validateDraft
} from './logic';

/** What the dialog submits. */
export interface IRuleDialogResult {
  kind: string;
  name: string;
  enabled: boolean;
  strategy: string | null;
  params: Record<string, RuleParamValue>;
}

/** Props of {@link RuleDialog}. */
export interface IRuleDialogProps {
  trans: ITrans;
  types: readonly IRuleType[];
  /** The rule to edit; null to add one. */
  rule: IRiskRule | null;
  /** Save; a rejection (the server's error) keeps the dialog open. */
  onSubmit: (result: IRuleDialogResult) => Promise<unknown>;
  onClose: () => void;
}

/** Element ids of the dialogs (unique per dialog). */
let dialogCount = 0;

/** One parameter input. */
function ParamField(props: {
  id: string;
  trans: ITrans;
  param: IRuleParamDescriptor;
  value: string | boolean;
  error?: string;
  onChange: (value: string | boolean) => void;
}): JSX.Element {
  const { id, trans, param, value, error } = props;
  const label = localized(param.label, trans) || param.name;
  if (param.type === 'boolean') {
    return (
      <div className="jp-QuantRisk-field jp-QuantRisk-checkField">
        <label htmlFor={id}>
          <input
            id={id}
            type="checkbox"
            data-testid={`jlq-risk-param-${param.name}`}
            data-param={param.name}
            checked={value === true}
            onChange={e => props.onChange(e.target.checked)}
          />
          {label}
        </label>
      </div>
    );
  }
  const unit = unitLabel(param.unit, trans);
  const numeric = isNumericParam(param);
  const range =
    numeric && (param.min !== undefined || param.max !== undefined)
      ? trans.__('range %1 – %2', param.min ?? '−∞', param.max ?? '∞')
      : '';
  return (
    <div className="jp-QuantRisk-field">
      <label htmlFor={id}>
        {label}
        {unit && <span className="jp-QuantRisk-unit"> ({unit})</span>}
      </label>
      <div className="jp-QuantRisk-inputRow">
        <input
          id={id}
          className={`jp-mod-styled${error ? ' jp-mod-invalid' : ''}`}
          data-testid={`jlq-risk-param-${param.name}`}
          data-param={param.name}
          type={numeric ? 'number' : 'text'}
          inputMode={numeric ? 'decimal' : undefined}
          min={numeric && param.min !== null ? param.min : undefined}
          max={numeric && param.max !== null ? param.max : undefined}
          step={param.type === 'integer' ? 1 : 'any'}
          value={typeof value === 'string' ? value : ''}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={e => props.onChange(e.target.value)}
        />
        {range && <span className="jp-QuantRisk-range">{range}</span>}
      </div>
      {error && (
        <div
          id={`${id}-error`}
          className="jp-QuantRisk-fieldError"
          data-testid="jlq-risk-field-error"
          data-param={param.name}
        >
          {error}
        </div>
      )}
    </div>
  );
}

/** The add/edit dialog (rendered over the panel). */
export function RuleDialog(props: IRuleDialogProps): JSX.Element {
  const { trans, types, rule } = props;
  const editing = rule !== null;
  const [prefix] = React.useState(() => `jlq-risk-dialog-${++dialogCount}`);
  const [draft, setDraft] = React.useState<IRuleDraft>(() =>
    draftFor(findType(types, rule?.kind ?? types[0]?.kind ?? ''), rule)
  );
  const [errors, setErrors] = React.useState<RuleDraftErrors>({});
  const [serverError, setServerError] = React.useState<IShownError | null>(
    null
  );
  const [saving, setSaving] = React.useState(false);
  const type = findType(types, draft.kind);

  const pickKind = (kind: string) => {
    const next = draftFor(findType(types, kind));
    setDraft({ ...next, name: draft.name, enabled: draft.enabled });
    setErrors({});
    setServerError(null);
  };

  const submit = async () => {
    const { errors: found, params } = validateDraft(type, draft, trans);
    setErrors(found);
    if (!params || !type) {
      return;
    }
    setSaving(true);
    setServerError(null);
    try {
      await props.onSubmit({
        kind: type.kind,
        name: draft.name.trim(),
        enabled: draft.enabled,
        strategy:
          type.scope === 'strategy' && draft.strategy.trim()
            ? draft.strategy.trim()
            : null,
        params
      });
    } catch (error) {
      setServerError(describeError(error, trans));
      setSaving(false);
    }
  };

  const title = editing ? trans.__('Edit rule') : trans.__('Add rule');
  return (
    <div className="jp-QuantRisk-dialogBackdrop">
      <form
        className="jp-QuantRisk-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${prefix}-title`}
        data-testid="jlq-risk-rule-dialog"
        // Our own checks (with the descriptors' labels and units) instead of
        // the browser's tooltips.
        noValidate
        onSubmit={e => {
          e.preventDefault();
          void submit();
        }}
        onKeyDown={e => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            props.onClose();
          }
        }}
      >
        <h3 id={`${prefix}-title`} className="jp-QuantRisk-dialogTitle">
          {title}
        </h3>
        <div className="jp-QuantRisk-field">
          <label htmlFor={`${prefix}-kind`}>{trans.__('Rule type')}</label>
          <select
            id={`${prefix}-kind`}
            className="jp-mod-styled"
            data-testid="jlq-risk-kind"
            value={draft.kind}
            disabled={editing}
            onChange={e => pickKind(e.target.value)}
          >
            {types.map(t => (
              <option key={t.kind} value={t.kind}>
                {`${scopeLabel(t.scope, trans)} · ${localized(t.label, trans) || t.kind}`}
              </option>
            ))}
          </select>
          {errors.kind && (
            <div className="jp-QuantRisk-fieldError">{errors.kind}</div>
          )}
        </div>
        {type && (
          <p
            className="jp-QuantRisk-description"
            data-testid="jlq-risk-kind-description"
          >
            {localized(type.description, trans)}
          </p>
        )}
        <div className="jp-QuantRisk-field">
          <label htmlFor={`${prefix}-name`}>
            {trans.__('Name (optional)')}
          </label>
          <input
            id={`${prefix}-name`}
            className="jp-mod-styled"
            data-testid="jlq-risk-name"
            value={draft.name}
            placeholder={type ? localized(type.label, trans) : ''}
            onChange={e => setDraft({ ...draft, name: e.target.value })}
          />
        </div>
        {type?.scope === 'strategy' && !editing && (
          <div className="jp-QuantRisk-field">
            <label htmlFor={`${prefix}-strategy`}>
              {trans.__('Strategy tag (optional)')}
            </label>
            <input
              id={`${prefix}-strategy`}
              className="jp-mod-styled"
              data-testid="jlq-risk-strategy"
              value={draft.strategy}
              placeholder={trans.__('Empty: all positions')}
              onChange={e => setDraft({ ...draft, strategy: e.target.value })}
            />
          </div>
        )}
        <fieldset className="jp-QuantRisk-params" data-testid="jlq-risk-params">
          <legend>{trans.__('Rule parameters')}</legend>
          {type && type.params.length === 0 && (
            <div className="jp-QuantRisk-note">
              {trans.__('This rule has no parameters.')}
            </div>
          )}
          {type?.params.map(param => (
            <ParamField
              key={`${type.kind}:${param.name}`}
              id={`${prefix}-param-${param.name}`}
              trans={trans}
              param={param}
              value={draft.params[param.name] ?? ''}
              error={errors[param.name]}
              onChange={value => {
                setDraft({
                  ...draft,
                  params: { ...draft.params, [param.name]: value }
                });
                if (errors[param.name]) {
                  const rest = { ...errors };
                  delete rest[param.name];
                  setErrors(rest);
                }
              }}
            />
          ))}
        </fieldset>
        {!editing && (
          <div className="jp-QuantRisk-field jp-QuantRisk-checkField">
            <label>
              <input
                type="checkbox"
                data-testid="jlq-risk-enabled"
                checked={draft.enabled}
                onChange={e =>
                  setDraft({ ...draft, enabled: e.target.checked })
                }
              />
              {trans.__('Enabled')}
            </label>
          </div>
        )}
        {serverError && (
          <div
            className="jp-QuantLive-error"
            role="alert"
            data-testid="jlq-risk-dialog-error"
          >
            <div>{serverError.message}</div>
            {serverError.hint && (
              <div className="jp-QuantLive-hint">
                {trans.__('What to do: %1', serverError.hint)}
              </div>
            )}
          </div>
        )}
        <div className="jp-QuantRisk-dialogButtons">
          <button
            type="button"
            className="jp-mod-styled jp-mod-reject"
            data-testid="jlq-risk-dialog-cancel"
            onClick={props.onClose}
          >
            {trans.__('Cancel')}
          </button>
          <button
            type="submit"
            className="jp-mod-styled jp-mod-accept"
            data-testid="jlq-risk-dialog-save"
            disabled={saving || !type}
          >
            {saving ? trans.__('Saving…') : trans.__('Save')}
          </button>
        </div>
      </form>
    </div>
  );
}
