/**
 * The risk panel (风控): the Lumino widget hosting {@link RiskView}, fed by
 * REST and by the live WebSocket (`risk` statuses, `alert`s).
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import type { NotifyClient, RiskClient } from '../../api';
import type { QuantConfig } from '../../config';
import type { LiveSocket } from '../../live/socket';
import type { IAlertMessage, IRiskMessage } from '../../models/live';
import { INotifyApi, IRiskApi, RiskModel } from './model';
import { RiskView } from './view';

/** Options of {@link RiskPanel}. */
export interface IRiskPanelOptions {
  risk: IRiskApi | RiskClient;
  notify: INotifyApi | NotifyClient;
  socket: LiveSocket;
  config: QuantConfig;
}

/** The risk panel (see the module comment). */
export class RiskPanel extends ReactWidget {
  constructor(options: IRiskPanelOptions) {
    super();
    this.addClass('jp-QuantRiskPanel');
    this._options = options;
    this.model = new RiskModel({
      risk: options.risk,
      notify: options.notify,
      trans: () => options.config.trans,
      onChange: () => this.update()
    });
    const { socket, config } = options;
    this._offRisk = socket.on('risk', this._onRisk);
    this._offAlert = socket.on('alert', this._onAlert);
    socket.stateChanged.connect(this._onSocketState, this);
    config.changed.connect(this._onConfigChanged, this);
    void this.model.loadAll();
  }

  /** State and actions. */
  readonly model: RiskModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._offRisk();
    this._offAlert();
    this.model.dispose();
    Signal.disconnectReceiver(this);
    super.dispose();
  }

  protected render(): React.ReactElement {
    const { config, socket } = this._options;
    return (
      <RiskView
        model={this.model}
        state={this.model.state}
        trans={config.trans}
        convention={config.settings.colorConvention}
        connection={socket.state}
        failures={socket.failures}
        onRetryConnection={() => socket.reconnectNow()}
      />
    );
  }

  private readonly _onRisk = (message: IRiskMessage): void => {
    this.model.applyStatuses(message.statuses ?? [], message.checked_at);
  };

  private readonly _onAlert = (message: IAlertMessage): void => {
    if (message.alert) {
      this.model.pushAlerts([message.alert]);
    }
  };

  private _onSocketState(socket: LiveSocket): void {
    if (socket.state === 'connected' && this._wasDisconnected) {
      // Messages were missed while disconnected: reload.
      this._wasDisconnected = false;
      void this.model.loadAll();
    } else if (socket.state === 'reconnecting') {
      this._wasDisconnected = true;
    }
    this.update();
  }

  private _onConfigChanged(): void {
    this.update();
  }

  private readonly _options: IRiskPanelOptions;
  private readonly _offRisk: () => void;
  private readonly _offAlert: () => void;
  private _wasDisconnected = false;
}
