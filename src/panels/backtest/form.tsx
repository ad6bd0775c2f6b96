/**
 * The submit form of the backtest panel (回测): strategy file, class and
 * parameters, symbols, dates, cash, broker profile and benchmark.
 */
import * as React from 'react';

import type { ITrans } from '../../i18n';
import type { IBacktestStrategyFile, IBrokerProfile } from '../../models';
import type {
  BacktestFormErrors,
  BacktestFormField,
  IBacktestFormValues,
  IShownError
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
}

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
  const file = strategies?.find(s => s.path === values.strategyFile) ?? null;
  const classes = file?.classes ?? [];
  const paramNames = Object.keys(values.params);
  const profile = profiles.find(p => p.name === values.profile) ?? null;

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
        {strategies !== null && strategies.length === 0 && !strategiesError && (
          <div className="jp-QuantBacktest-note">
            {trans.__(
              'No strategy found: save a .py file with a backtrader.Strategy subclass under the Jupyter root, then click ⟳.'
            )}
          </div>
        )}
        <FieldError errors={errors} field="strategy" id={errorId('strategy')} />
      </div>

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

      <div className="jp-QuantBacktest-field">
        <label htmlFor={id('symbols')}>{trans.__('Symbols')}</label>
        <input
          id={id('symbols')}
          className="jp-mod-styled"
          type="text"
          data-testid="quant-backtest-symbols"
          placeholder={trans.__('e.g. %1', '600519.SH, 000001.SZ')}
          spellCheck={false}
          autoComplete="off"
          value={values.symbols}
          onChange={e => props.onChange({ symbols: e.target.value })}
          {...invalid('symbols')}
        />
        <FieldError errors={errors} field="symbols" id={errorId('symbols')} />
      </div>

      <div className="jp-QuantBacktest-pair">
        <div className="jp-QuantBacktest-field">
          <label htmlFor={id('start')}>{trans.__('Start date')}</label>
          <input
            id={id('start')}
            className="jp-mod-styled"
            type="date"
            data-testid="quant-backtest-start"
            value={values.start}
            onChange={e => props.onChange({ start: e.target.value })}
            {...invalid('start')}
          />
          <FieldError errors={errors} field="start" id={errorId('start')} />
        </div>
        <div className="jp-QuantBacktest-field">
          <label htmlFor={id('end')}>{trans.__('End date')}</label>
          <input
            id={id('end')}
            className="jp-mod-styled"
            type="date"
            data-testid="quant-backtest-end"
            value={values.end}
            onChange={e => props.onChange({ end: e.target.value })}
            {...invalid('end')}
          />
          <FieldError errors={errors} field="end" id={errorId('end')} />
        </div>
      </div>

      <div className="jp-QuantBacktest-pair">
        <div className="jp-QuantBacktest-field">
          <label htmlFor={id('cash')}>{trans.__('Starting cash (yuan)')}</label>
          <input
            id={id('cash')}
            className="jp-mod-styled"
            type="text"
            inputMode="decimal"
            data-testid="quant-backtest-cash"
            value={values.cash}
            onChange={e => props.onChange({ cash: e.target.value })}
            {...invalid('cash')}
          />
          <FieldError errors={errors} field="cash" id={errorId('cash')} />
        </div>
        <div className="jp-QuantBacktest-field">
          <label htmlFor={id('benchmark')}>{trans.__('Benchmark')}</label>
          <input
            id={id('benchmark')}
            className="jp-mod-styled"
            type="text"
            data-testid="quant-backtest-benchmark"
            placeholder={trans.__('none')}
            spellCheck={false}
            autoComplete="off"
            value={values.benchmark}
            title={trans.__('Leave empty for no benchmark')}
            onChange={e => props.onChange({ benchmark: e.target.value })}
            {...invalid('benchmark')}
          />
          <FieldError
            errors={errors}
            field="benchmark"
            id={errorId('benchmark')}
          />
        </div>
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
