/**
 * The React view of the backtest panel (回测): submit a backtest of a
 * strategy file and follow the jobs (progress, summary, report, errors).
 */
import * as React from 'react';

import type { BacktestClient } from '../../api';
import type { QuantConfig } from '../../config';
import { describeError, IShownError } from '../../errors';
import type {
  IBacktestJob,
  IBacktestRequest,
  IBacktestStrategyFile,
  IBrokerProfile
} from '../../models';
import { BacktestForm } from './form';
import { JobList } from './jobs';
import {
  BacktestFormErrors,
  BacktestJobsPoller,
  CUSTOM_FILE,
  defaultClass,
  defaultParamInputs,
  DEFAULT_PROFILE,
  IBacktestFormValues,
  initialFormValues,
  IVaultStrategyRef,
  sourceClasses,
  upsertJob,
  validateForm,
  validateVaultForm,
  vaultLabel
} from './logic';

/** Views created so far (unique element ids). */
let viewCount = 0;

/** Props of {@link BacktestView}. */
export interface IBacktestViewProps {
  client: BacktestClient;
  config: QuantConfig;
  /** Bumped when settings or the translator change. */
  revision: number;
  /** Open the report of a finished job. */
  onOpenReport: (job: IBacktestJob) => void;
  /** Hand the poller to the widget (refresh when shown). */
  onPoller?: (poller: BacktestJobsPoller | null) => void;
  /** Whether the panel is visible (polling pauses while hidden). */
  isVisible?: () => boolean;
  /** Symbols to prefill (e.g. from the market panel). */
  initialSymbols?: string;
  /** A version of the strategy library to prefill ("回测此版本"). */
  initialVault?: IVaultStrategyRef | null;
  /** Fetch the source of a vault version (needed for `initialVault`/{@link BacktestView.useVaultStrategy}). */
  vaultSource?: (ref: IVaultStrategyRef) => Promise<string>;
}

interface IBacktestViewState {
  values: IBacktestFormValues;
  errors: BacktestFormErrors;
  strategies: IBacktestStrategyFile[] | null;
  strategiesError: string | null;
  profiles: IBrokerProfile[];
  submitting: boolean;
  serverError: IShownError | null;
  jobs: IBacktestJob[] | null;
  total: number;
  listError: string | null;
  cancelling: ReadonlySet<string>;
  showArchived: boolean;
  /** The vault version to run instead of a file, its source (null while loading) and classes. */
  vault: IVaultStrategyRef | null;
  vaultSource: string | null;
  vaultClasses: string[];
}

/** The React view of the panel: form on the left, jobs on the right. */
export class BacktestView extends React.Component<
  IBacktestViewProps,
  IBacktestViewState
> {
  constructor(props: IBacktestViewProps) {
    super(props);
    const values = initialFormValues();
    if (props.initialSymbols) {
      values.symbols = props.initialSymbols;
    }
    this.state = {
      values,
      errors: {},
      strategies: null,
      strategiesError: null,
      profiles: [],
      submitting: false,
      serverError: null,
      jobs: null,
      total: 0,
      listError: null,
      cancelling: new Set(),
      showArchived: false,
      vault: null,
      vaultSource: null,
      vaultClasses: []
    };
    this._poller = new BacktestJobsPoller({
      fetch: init =>
        this.props.client.list(
          { archived: this.state.showArchived ? 'all' : false },
          init
        ),
      onJobs: response => {
        if (!this._disposed) {
          this.setState({
            jobs: response.jobs,
            total: response.total,
            listError: null
          });
        }
      },
      onError: error => {
        if (!this._disposed) {
          this.setState({
            listError: describeError(error, this.props.config.trans).message
          });
        }
      },
      isVisible: () => (this.props.isVisible ? this.props.isVisible() : true)
    });
  }

  /** The poller of the job list (for tests and the widget). */
  get poller(): BacktestJobsPoller {
    return this._poller;
  }

  componentDidMount(): void {
    this.props.onPoller?.(this._poller);
    void this._poller.refresh();
    void this.loadStrategies();
    void this._loadProfiles();
    if (this.props.initialVault) {
      void this.useVaultStrategy(this.props.initialVault);
    }
  }

  /**
   * Run a version of the strategy library (策略库) instead of a file: the
   * form shows `NAME v3`, the class list comes from its source, and submit
   * sends that source.
   */
  async useVaultStrategy(ref: IVaultStrategyRef | null): Promise<void> {
    this.setState(state => ({
      vault: ref,
      vaultSource: null,
      vaultClasses: [],
      serverError: null,
      values: ref
        ? {
            ...state.values,
            strategyClass: '',
            params: {},
            label: vaultLabel(ref)
          }
        : { ...state.values, label: '' }
    }));
    this._vaultRequest = ref;
    if (!ref || !this.props.vaultSource) {
      return;
    }
    try {
      const source = await this.props.vaultSource(ref);
      if (this._disposed || this._vaultRequest !== ref) {
        return; // another version was picked meanwhile
      }
      const classes = sourceClasses(source);
      this.setState(state => ({
        vaultSource: source,
        vaultClasses: classes,
        values: { ...state.values, strategyClass: classes[0] ?? '' }
      }));
    } catch (error) {
      if (!this._disposed) {
        if (this._vaultRequest === ref) {
          this.setState({
            serverError: describeError(error, this.props.config.trans)
          });
        }
      }
    }
  }

  componentWillUnmount(): void {
    this._disposed = true;
    this.props.onPoller?.(null);
    this._poller.dispose();
    this._strategiesAbort?.abort();
  }

  render(): React.ReactNode {
    const trans = this.props.config.trans;
    const s = this.state;
    return (
      <div className="jp-QuantBacktest" data-testid="quant-backtest">
        <BacktestForm
          trans={trans}
          uid={this._uid}
          values={s.values}
          errors={s.errors}
          strategies={s.strategies}
          strategiesError={s.strategiesError}
          profiles={s.profiles}
          submitting={s.submitting}
          serverError={s.serverError}
          onChange={patch => this._patch(patch)}
          onStrategyFile={path => this._pickFile(path)}
          onStrategyClass={name => this._pickClass(name)}
          onParam={(name, value) =>
            this._patch({
              params: { ...this.state.values.params, [name]: value }
            })
          }
          onRefreshStrategies={() => void this.loadStrategies()}
          onSubmit={() => void this.submit()}
          vault={
            s.vault
              ? { label: vaultLabel(s.vault), classes: s.vaultClasses }
              : null
          }
          onClearVault={() => void this.useVaultStrategy(null)}
        />
        <JobList
          trans={trans}
          jobs={s.jobs}
          total={s.total}
          colorConvention={this.props.config.settings.colorConvention}
          error={s.listError}
          cancelling={s.cancelling}
          showArchived={s.showArchived}
          onCancel={job => void this.cancel(job)}
          onOpenReport={job => this.props.onOpenReport(job)}
          onRefresh={() => void this._poller.refresh()}
          onShowArchived={show =>
            this.setState(
              { showArchived: show },
              () => void this._poller.refresh()
            )
          }
        />
      </div>
    );
  }

  /** Load the strategy files, keeping the picked file when it still exists. */
  async loadStrategies(): Promise<void> {
    this._strategiesAbort?.abort();
    const abort = new AbortController();
    this._strategiesAbort = abort;
    try {
      const response = await this.props.client.strategies({
        signal: abort.signal
      });
      if (this._disposed || abort.signal.aborted) {
        return;
      }
      const strategies = response.strategies;
      this.setState({ strategies, strategiesError: null }, () => {
        const current = this.state.values.strategyFile;
        const kept = strategies.find(f => f.path === current);
        if (current === CUSTOM_FILE || this.state.vault) {
          // A typed path, or a strategy library version: keep the form as is.
          return;
        }
        if (kept) {
          // Classes or defaults may have changed in the file.
          if (!kept.classes.includes(this.state.values.strategyClass)) {
            this._pickClass(defaultClass(kept));
          }
        } else {
          this._pickFile(strategies.length > 0 ? strategies[0].path : '');
        }
      });
    } catch (error) {
      if (this._disposed || abort.signal.aborted) {
        return;
      }
      this.setState({
        strategies: this.state.strategies ?? [],
        strategiesError: describeError(error, this.props.config.trans).message
      });
    }
  }

  /** Validate the form and queue the backtest. */
  async submit(): Promise<IBacktestJob | null> {
    if (this.state.submitting) {
      return null;
    }
    const trans = this.props.config.trans;
    const vault = this.state.vault;
    if (vault) {
      return this._submitVault(vault);
    }
    const file = this._file(this.state.values.strategyFile);
    const { request, errors } = validateForm(this.state.values, file, trans);
    this.setState({ errors, serverError: null });
    if (!request) {
      return null;
    }
    return this._send(request);
  }

  /** Submit a vault version: its source (fetched when not yet loaded) as `strategy_source`. */
  private async _submitVault(
    vault: IVaultStrategyRef
  ): Promise<IBacktestJob | null> {
    const trans = this.props.config.trans;
    this.setState({ submitting: true, serverError: null });
    let source = this.state.vaultSource;
    try {
      if (source === null) {
        if (!this.props.vaultSource) {
          throw new Error('no strategy library client');
        }
        source = await this.props.vaultSource(vault);
      }
    } catch (error) {
      if (!this._disposed) {
        this.setState({
          submitting: false,
          serverError: describeError(error, trans)
        });
      }
      return null;
    }
    const { request, errors } = validateVaultForm(
      this.state.values,
      vault,
      source,
      trans
    );
    this.setState({ errors, submitting: false });
    if (!request) {
      return null;
    }
    return this._send(request);
  }

  /** POST a validated request and put the job at the top of the list. */
  private async _send(request: IBacktestRequest): Promise<IBacktestJob | null> {
    const trans = this.props.config.trans;
    this.setState({ submitting: true });
    try {
      const job = await this.props.client.submit(request);
      if (this._disposed) {
        return job;
      }
      this.setState(state => ({
        submitting: false,
        jobs: upsertJob(state.jobs ?? [], job),
        total: state.jobs?.some(j => j.id === job.id)
          ? state.total
          : state.total + 1
      }));
      void this._poller.refresh();
      return job;
    } catch (error) {
      if (!this._disposed) {
        this.setState({
          submitting: false,
          serverError: describeError(error, trans)
        });
      }
      return null;
    }
  }

  /** Ask the server to cancel a queued or running job. */
  async cancel(job: IBacktestJob): Promise<void> {
    this.setState(state => ({
      cancelling: new Set([...state.cancelling, job.id])
    }));
    try {
      const updated = await this.props.client.cancel(job.id);
      if (!this._disposed) {
        this.setState(state => ({
          jobs: upsertJob(state.jobs ?? [], updated),
          listError: null
        }));
      }
    } catch (error) {
      if (!this._disposed) {
        this.setState({
          listError: describeError(error, this.props.config.trans).message
        });
      }
    } finally {
      if (!this._disposed) {
        this.setState(state => {
          const cancelling = new Set(state.cancelling);
          cancelling.delete(job.id);
          return { cancelling };
        });
        void this._poller.refresh();
      }
    }
  }

  private async _loadProfiles(): Promise<void> {
    try {
      const response = await this.props.client.profiles();
      if (this._disposed) {
        return;
      }
      const profiles = response.profiles;
      const current = this.state.values.profile;
      const profile = profiles.some(p => p.name === current)
        ? current
        : profiles.some(p => p.name === DEFAULT_PROFILE)
          ? DEFAULT_PROFILE
          : (profiles[0]?.name ?? current);
      this.setState(state => ({
        profiles,
        values: { ...state.values, profile }
      }));
    } catch {
      // The form still works with the default profile; submit reports errors.
    }
  }

  private _file(path: string): IBacktestStrategyFile | null {
    return this.state.strategies?.find(f => f.path === path) ?? null;
  }

  private _patch(patch: Partial<IBacktestFormValues>): void {
    this.setState(state => ({ values: { ...state.values, ...patch } }));
  }

  private _pickFile(path: string): void {
    const file = this._file(path);
    const strategyClass = defaultClass(file);
    this._patch({
      strategyFile: path,
      strategyClass,
      params: defaultParamInputs(file, strategyClass)
    });
  }

  private _pickClass(strategyClass: string): void {
    const file = this._file(this.state.values.strategyFile);
    this._patch({
      strategyClass,
      params: defaultParamInputs(file, strategyClass)
    });
  }

  private readonly _uid = `jp-QuantBacktest-${++viewCount}`;
  private readonly _poller: BacktestJobsPoller;
  private _strategiesAbort: AbortController | null = null;
  private _vaultRequest: IVaultStrategyRef | null = null;
  private _disposed = false;
}
