/**
 * The backtest panel (回测): the Lumino widget hosting {@link BacktestView}.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import type { BacktestClient } from '../../api';
import type { QuantConfig } from '../../config';
import type { IBacktestJob } from '../../models';
import type { BacktestJobsPoller, IVaultStrategyRef } from './logic';
import { BacktestView } from './view';

/** Options of {@link BacktestPanel}. */
export interface IBacktestPanelOptions {
  client: BacktestClient;
  config: QuantConfig;
  onOpenReport: (job: IBacktestJob) => void;
  /** Symbols to prefill. */
  symbols?: string;
  /** A version of the strategy library to prefill ("回测此版本"). */
  vault?: IVaultStrategyRef | null;
  /** Fetch the source of a strategy library version. */
  vaultSource?: (ref: IVaultStrategyRef) => Promise<string>;
}

/** The Lumino widget hosting {@link BacktestView}. */
export class BacktestPanel extends ReactWidget {
  constructor(options: IBacktestPanelOptions) {
    super();
    this.addClass('jp-QuantBacktestPanel');
    this._options = options;
    options.config.changed.connect(this._onConfigChanged, this);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    Signal.disconnectReceiver(this);
    super.dispose();
    Signal.clearData(this);
  }

  /** Prefill the form with a version of the strategy library (the open panel's "回测此版本"). */
  setVaultStrategy(ref: IVaultStrategyRef | null): void {
    if (this._view.current) {
      void this._view.current.useVaultStrategy(ref);
    } else {
      this._options = { ...this._options, vault: ref };
      this.update();
    }
  }

  protected render(): React.ReactElement {
    return (
      <BacktestView
        ref={this._view}
        initialVault={this._options.vault}
        vaultSource={this._options.vaultSource}
        client={this._options.client}
        config={this._options.config}
        revision={this._revision}
        onOpenReport={this._options.onOpenReport}
        initialSymbols={this._options.symbols}
        onPoller={poller => {
          this._poller = poller;
        }}
        isVisible={() => this.isVisible}
      />
    );
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    // Catch up on what finished while the tab was hidden.
    if (this._poller?.paused) {
      void this._poller.refresh();
    }
  }

  private _onConfigChanged(): void {
    this._revision++;
    this.update();
  }

  private _options: IBacktestPanelOptions;
  private readonly _view = React.createRef<BacktestView>();
  private _revision = 0;
  private _poller: BacktestJobsPoller | null = null;
}
