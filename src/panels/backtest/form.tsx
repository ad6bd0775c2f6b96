/**
 * The submit form of the backtest panel (回测): strategy file, class and
 * parameters, symbols, dates, cash, broker profile and benchmark.
 */
import * as React from 'react';

import type { IShownError } from '../../errors';
import type { ITrans } from '../../i18n';
import type { IBacktestStrategyFile, IBrokerProfile } from '../../models';
import type {
  BacktestFormErrors,
  BacktestFormField,
  IBacktestFormValues
} from './logic';
import { CUSTOM_FILE, formatRate } from './logic';

/** Props of {@link BacktestForm}. */
export interface IBacktestFormProps {
  trans: ITrans;
  values: IBacktestFormValues;
  errors: BacktestFormErrors;
  /** Strategy files (null while loading). */
  strategies: IBacktestStrategyFile[] | null;
  /** Why the strategy list could not be loaded. */
  strategiesError: string | null;
  profiles: IBrokerProfile[];
  submitting: boolean;
  /** The server's answer to the last submit (400 message and hint). */
  serverError: IShownError | null;
  /** Unique prefix of element ids. */
  uid: string;
  onChange: (patch: Partial<IBacktestFormValues>) => void;
  onStrategyFile: (path: string) => void;
  onStrategyClass: (className: string) => void;
  onParam: (name: string, value: string | boolean) => void;
  onRefreshStrategies: () => void;
  onSubmit: () => void;
  /** A version of the strategy library (策略库) to run instead of a file. */
  vault?: { label: string; classes: string[] } | null;
  /** Go back to picking a strategy file. */
  onClearVault?: () => void;
}

/** Form values edited in a plain text (or date) input with its own errors. */
type TextFormField = 'symbols' | 'start' | 'end' | 'cash' | 'benchmark';

function FieldError(props: {
  errors: BacktestFormErrors;
  field: BacktestFormField;
  id: string;
}): JSX.Element | null {
  const message = props.errors[props.field];
  if (!message) {
    return null;
  }
  return (
    <div
      id={props.id}
      className="jp-QuantBacktest-fieldError"
      data-testid="quant-backtest-field-error"
      data-field={props.field}
    >
      {message}
    </div>
  );
}

/** The form (a `<form>`: Enter in a text field submits). */
export function BacktestForm(props: IBacktestFormProps): JSX.Element {
  const {
    trans,
    values,
    errors,
    strategies,
    strategiesError,
    profiles,
    submitting,
    serverError,
    uid
  } = props;
  const id = (name: string) => `${uid}-${name}`;
  const errorId = (name: string) => `${uid}-${name}-error`;
  const invalid = (field: BacktestFormField) =>
    errors[field]
      ? { 'aria-invalid': true, 'aria-describedby': errorId(field) }
      : {};
  const vault = props.vault ?? null;
  const file = strategies?.find(s => s.path === values.strategyFile) ?? null;
  const classes = vault ? vault.classes : (file?.classes ?? []);
  const paramNames = Object.keys(values.params);
  const profile = profiles.find(p => p.name === values.profile) ?? null;
  // A labelled input of the form value `field`: a render helper, not a
  // component (one defined here would remount, losing focus, on each render).
  const textField = (
    field: TextFormField,
    label: string,
    input: React.InputHTMLAttributes<HTMLInputElement> = {}
  ): JSX.Element => (
    <div className="jp-QuantBacktest-field">
      <label htmlFor={id(field)}>{label}</label>
      <input
        id={id(field)}
        className="jp-mod-styled"
        type="text"
        data-testid={`quant-backtest-${field}`}
        {...input}
        value={values[field]}
        onChange={e => props.onChange({ [field]: e.target.value })}
        {...invalid(field)}
      />
      <FieldError errors={errors} field={field} id={errorId(field)} />
    </div>
  );

  return (
    <form
      className="jp-QuantBacktest-form"
      data-testid="quant-backtest-form"
      noValidate
      onSubmit={event => {
        event.preventDefault();
        props.onSubmit();
      }}
    >
      <h3 className="jp-QuantBacktest-heading">{trans.__('New backtest')}</h3>

      {vault ? (
        <div className="jp-QuantBacktest-field">
          <label htmlFor={id('vault')}>{trans.__('Strategy library')}</label>
          <div className="jp-QuantBacktest-row">
            <output
              id={id('vault')}
              className="jp-QuantBacktest-vault"
              data-testid="quant-backtest-vault-strategy"
            >
              {vault.label}
            </output>
            <button
              type="button"
              className="jp-QuantBacktest-iconButton"
              data-testid="quant-backtest-clear-vault"
              title={trans.__('Pick a strategy file instead')}
              aria-label={trans.__('Pick a strategy file instead')}
              onClick={props.onClearVault}
            >
              ✕
            </button>
          </div>
        </div>
      ) : (
        <div className="jp-QuantBacktest-field">
          <label htmlFor={id('strategy')}>{trans.__('Strategy file')}</label>
          <div className="jp-QuantBacktest-row">
            <select
              id={id('strategy')}
              className="jp-mod-styled jp-QuantBacktest-select"
              data-testid="quant-backtest-strategy"
              value={values.strategyFile}
              disabled={strategies === null}
              onChange={e => props.onStrategyFile(e.target.value)}
              {...invalid('strategy')}
            >
              <option value="">
                {strategies === null
                  ? trans.__('Loading strategies…')
                  : trans.__('— pick a strategy file —')}
              </option>
              {(strategies ?? []).map(s => (
                <option key={s.path} value={s.path}>
                  {s.path}
                </option>
              ))}
              {strategies !== null && (
                <option value={CUSTOM_FILE}>
                  {trans.__('Another file (type its path)…')}
                </option>
              )}
            </select>
            <button
              type="button"
              className="jp-QuantBacktest-iconButton"
              data-testid="quant-backtest-refresh-strategies"
              title={trans.__('Look for strategy files again')}
              aria-label={trans.__('Look for strategy files again')}
              onClick={props.onRefreshStrategies}
            >
              ⟳
            </button>
          </div>
          {values.strategyFile === CUSTOM_FILE && (
            <input
              id={id('strategy-path')}
              className="jp-mod-styled jp-QuantBacktest-path"
              type="text"
              data-testid="quant-backtest-strategy-path"
              aria-label={trans.__('Path of the strategy file')}
              placeholder={trans.__('e.g. %1', 'strategies/my_strategy.py')}
              spellCheck={false}
              autoComplete="off"
              value={values.customPath}
              onChange={e => props.onChange({ customPath: e.target.value })}
              {...invalid('strategy')}
            />
          )}
          {strategiesError && (
            <div className="jp-QuantBacktest-fieldError">{strategiesError}</div>
          )}
          {strategies !== null &&
            strategies.length === 0 &&
            !strategiesError && (
              <div className="jp-QuantBacktest-note">
                {trans.__(
                  'No strategy found: save a .py file with a backtrader.Strategy subclass under the Jupyter root, then click ⟳.'
                )}
              </div>
            )}
          <FieldError
            errors={errors}
            field="strategy"
            id={errorId('strategy')}
          />
        </div>
      )}

      <div className="jp-QuantBacktest-field">
        <label htmlFor={id('class')}>{trans.__('Strategy class')}</label>
        <select
          id={id('class')}
          className="jp-mod-styled jp-QuantBacktest-select"
          data-testid="quant-backtest-class"
          value={values.strategyClass}
          disabled={classes.length === 0}
          onChange={e => props.onStrategyClass(e.target.value)}
        >
          {classes.length === 0 && (
            <option value="">{trans.__('(the first one in the file)')}</option>
          )}
          {classes.map(c => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>

      {paramNames.length > 0 && (
        <fieldset
          className="jp-QuantBacktest-params"
          data-testid="quant-backtest-params"
        >
          <legend>{trans.__('Parameters')}</legend>
          {paramNames.map(name => {
            const value = values.params[name];
            const field: BacktestFormField = `param:${name}`;
            const inputId = id(`param-${name}`);
            return (
              <div key={name} className="jp-QuantBacktest-param">
                <label htmlFor={inputId}>{name}</label>
                {typeof value === 'boolean' ? (
                  <input
                    id={inputId}
                    type="checkbox"
                    data-testid={`quant-backtest-param-${name}`}
                    checked={value}
                    onChange={e => props.onParam(name, e.target.checked)}
                  />
                ) : (
                  <input
                    id={inputId}
                    className="jp-mod-styled"
                    type="text"
                    data-testid={`quant-backtest-param-${name}`}
                    value={value}
                    spellCheck={false}
                    onChange={e => props.onParam(name, e.target.value)}
                    {...invalid(field)}
                  />
                )}
                <FieldError errors={errors} field={field} id={errorId(field)} />
              </div>
            );
          })}
        </fieldset>
      )}

      {textField('symbols', trans.__('Symbols'), {
        placeholder: trans.__('e.g. %1', '600519.SH, 000001.SZ'),
        spellCheck: false,
        autoComplete: 'off'
      })}

      <div className="jp-QuantBacktest-pair">
        {textField('start', trans.__('Start date'), { type: 'date' })}
        {textField('end', trans.__('End date'), { type: 'date' })}
      </div>

      <div className="jp-QuantBacktest-pair">
        {textField('cash', trans.__('Starting cash (yuan)'), {
          inputMode: 'decimal'
        })}
        {textField('benchmark', trans.__('Benchmark'), {
          placeholder: trans.__('none'),
          spellCheck: false,
          autoComplete: 'off',
          title: trans.__('Leave empty for no benchmark')
        })}
      </div>

      <div className="jp-QuantBacktest-field">
        <label htmlFor={id('profile')}>{trans.__('Broker profile')}</label>
        <select
          id={id('profile')}
          className="jp-mod-styled jp-QuantBacktest-select"
          data-testid="quant-backtest-profile"
          value={values.profile}
          onChange={e => props.onChange({ profile: e.target.value })}
        >
          {profiles.length === 0 && (
            <option value={values.profile}>{values.profile}</option>
          )}
          {profiles.map(p => (
            <option key={p.name} value={p.name}>
              {p.builtin ? p.name : trans.__('%1 (custom)', p.name)}
            </option>
          ))}
        </select>
        {profile && (
          <div
            className="jp-QuantBacktest-note"
            data-testid="quant-backtest-profile-info"
          >
            {trans.__(
              'commission %1, minimum %2 yuan, slippage %3',
              formatRate(profile.commission_rate),
              profile.min_commission,
              formatRate(profile.slippage)
            )}
            {profile.description && (
              <div className="jp-QuantBacktest-profileDescription">
                {profile.description}
              </div>
            )}
          </div>
        )}
      </div>

      <div className="jp-QuantBacktest-field">
        <label htmlFor={id('label')}>{trans.__('Label (optional)')}</label>
        <input
          id={id('label')}
          className="jp-mod-styled"
          type="text"
          data-testid="quant-backtest-label"
          value={values.label}
          onChange={e => props.onChange({ label: e.target.value })}
        />
      </div>

      <div className="jp-QuantBacktest-submitRow">
        <button
          type="submit"
          className="jp-mod-styled jp-mod-accept jp-QuantBacktest-submit"
          data-testid="quant-backtest-submit"
          disabled={submitting}
        >
          {submitting ? trans.__('Submitting…') : trans.__('Submit backtest')}
        </button>
      </div>
      {serverError && (
        <div
          className="jp-QuantBacktest-serverError"
          data-testid="quant-backtest-form-error"
          role="alert"
        >
          <div className="jp-QuantBacktest-errorMessage">
            {serverError.message}
          </div>
          {serverError.hint && (
            <div className="jp-QuantBacktest-errorHint">
              {trans.__('What to do: %1', serverError.hint)}
            </div>
          )}
        </div>
      )}
    </form>
  );
}
