/**
 * jupyterlab-quant frontend: the market data panel (行情).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  IThemeManager,
  MainAreaWidget,
  Notification,
  showErrorMessage,
  WidgetTracker
} from '@jupyterlab/apputils';
import type { Contents } from '@jupyterlab/services';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  addIcon,
  MenuSvg,
  refreshIcon,
  ToolbarButton
} from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import {
  BacktestClient,
  NotifyClient,
  QuantClient,
  RiskClient,
  StrategyClient,
  WatchlistClient
} from './api';
// Needed at activation (command label, settings) and small. The panel and
// ECharts are loaded on first use (see `execute`).
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { normalizeSettings, QuantConfig } from './config';
// The command label is translated at activation, so the (small) catalogue is needed at once.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { createTrans, I18N_DOMAIN, resolveLanguage } from './i18n';
import { candlestickIcon } from './icons';
import type { MarketPanel } from './panels/market';
import type { BacktestPanel, BacktestReportWidget } from './panels/backtest';
import { backtestIcon } from './panels/backtest/icon';
import type { IVaultStrategyRef } from './panels/backtest/logic';
import type { StrategyHistoryWidget } from './panels/strategies';
import type { LiveSocket } from './live';
import type { RiskPanel } from './panels/risk';
import { riskIcon } from './panels/risk/icon';
import type { WatchlistPanel } from './panels/watchlist';
import { watchlistIcon } from './panels/watchlist/icon';
// The drive is registered with the contents manager at activation, so it is
// needed at once (small; the history view is loaded on first use).
// eslint-disable-next-line jupyter/prefer-lazy-imports
import {
  isValidStrategyName,
  STRATEGY_NAME_HINT,
  strategyFileName,
  strategyLibraryIcon,
  strategyOfPath,
  StrategyDrive
} from './drive';
import {
  CommandIDs,
  LiveCommandIDs,
  MARKET_TRACKER_NAMESPACE,
  PLUGIN_ID,
  RISK_TRACKER_NAMESPACE,
  WATCHLIST_TRACKER_NAMESPACE
} from './tokens';

export {
  BacktestClient,
  NotifyClient,
  QuantApiError,
  QuantClient,
  requestAPI,
  RiskClient,
  StrategyClient,
  WatchlistClient
} from './api';
export * from './models';
export { CommandIDs, LiveCommandIDs, PLUGIN_ID } from './tokens';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Market data panel (行情): symbol search, K-line with volume, moving averages and zoom.',
  autoStart: true,
  optional: [
    ITranslator,
    ISettingRegistry,
    ILauncher,
    ICommandPalette,
    IMainMenu,
    ILayoutRestorer,
    IThemeManager,
    IFileBrowserFactory
  ],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null,
    restorer: ILayoutRestorer | null,
    themeManager: IThemeManager | null,
    browserFactory: IFileBrowserFactory | null
  ): void => {
    const labTranslator = translator ?? nullTranslator;
    // JupyterLab's bundle for our domain: English, and the fallback for
    // strings missing from the zh-CN catalogue (src/i18n.ts).
    const trans = labTranslator.load(I18N_DOMAIN);
    const config = new QuantConfig();
    const client = new QuantClient(app.serviceManager.serverSettings);
    const tracker = new WidgetTracker<MainAreaWidget<MarketPanel>>({
      namespace: MARKET_TRACKER_NAMESPACE
    });
    let counter = 0;
    // Not part of QuantConfig: only the alert notifications read it.
    let alertNotifications = true;

    const applySettings = (raw: ISettingRegistry.ISettings | null): void => {
      const composite = raw ? (raw.composite as Record<string, unknown>) : null;
      alertNotifications = composite?.alertNotifications !== false;
      const settings = normalizeSettings(composite);
      const language = resolveLanguage(
        settings.language,
        labTranslator.languageCode
      );
      config.update(settings, createTrans(language, trans));
    };
    applySettings(null);

    const titleFor = (symbol: string | null, name?: string): string => {
      const trans = config.trans;
      return symbol
        ? trans.__('Market data · %1', name || symbol)
        : trans.__('Market data');
    };

    app.commands.addCommand(CommandIDs.openMarket, {
      label: () => config.trans.__('Market data'),
      caption: () =>
        config.trans.__(
          'Open the market data panel (K-line, volume, moving averages)'
        ),
      icon: candlestickIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            symbol: {
              type: 'string',
              description: 'Symbol to show, e.g. 600519.SH'
            },
            id: {
              type: 'string',
              description:
                'Panel id (used by the layout restorer); an open panel with this id is activated'
            }
          }
        }
      },
      execute: async (args: ReadonlyPartialJSONObject) => {
        const id =
          typeof args.id === 'string' && args.id
            ? args.id
            : `jupyterlab-quant-market-${Date.now()}-${++counter}`;
        const open = tracker.find(w => w.id === id);
        if (open) {
          app.shell.activateById(id);
          return open;
        }
        const { MarketPanel } = await import('./panels/market');
        const symbol =
          typeof args.symbol === 'string'
            ? args.symbol
            : config.settings.defaultSymbol || null;
        const content = new MarketPanel({
          client,
          config,
          themeManager,
          symbol
        });
        const widget = new MainAreaWidget({ content });
        // Kept across reloads (restorer args) so the saved layout finds it.
        widget.id = id;
        widget.addClass('jp-QuantMarketWidget');
        widget.title.icon = candlestickIcon;
        widget.title.closable = true;
        widget.title.label = titleFor(null);
        content.symbolChanged.connect((_, selected) => {
          widget.title.label = titleFor(selected.symbol, selected.name);
          widget.title.caption = selected.symbol;
          void tracker.save(widget);
        });
        // Awaited: on restore, the layout restorer looks the widget up by its
        // tracker name right after this command resolves.
        await tracker.add(widget);
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        return widget;
      }
    });

    // Categories stay "Quant" in every language: they group items across
    // extensions, and Lumino's palette search only matches from ASCII word
    // starts, so a Chinese category would make the item unsearchable.
    launcher?.add({
      command: CommandIDs.openMarket,
      // eslint-disable-next-line jupyter/no-untranslated-string
      category: 'Quant',
      rank: 0
    });
    // eslint-disable-next-line jupyter/no-untranslated-string
    palette?.addItem({ command: CommandIDs.openMarket, category: 'Quant' });

    let menu: MenuSvg | null = null;
    if (mainMenu) {
      menu = new MenuSvg({ commands: app.commands });
      menu.id = 'jp-mainmenu-quant';
      menu.title.label = config.trans.__('Quant');
      menu.addItem({ command: CommandIDs.openMarket });
      mainMenu.addMenu(menu, true, { rank: 90 });
    }

    const strategies = new StrategyClient(app.serviceManager.serverSettings);
    activateBacktests(app, config, {
      launcher,
      palette,
      menu,
      restorer,
      strategies
    });
    activateStrategies(app, config, {
      palette,
      menu,
      restorer,
      browserFactory,
      client: strategies
    });
    activateLive(app, config, {
      launcher,
      palette,
      menu,
      restorer,
      quant: client,
      alertNotifications: () => alertNotifications
    });

    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openMarket,
        args: widget => ({
          symbol: widget.content.symbol ?? '',
          id: widget.id
        }),
        name: widget => widget.id
      });
    }

    config.changed.connect(() => {
      if (menu) {
        menu.title.label = config.trans.__('Quant');
      }
      tracker.forEach(widget => {
        if (!widget.content.symbol) {
          widget.title.label = titleFor(null);
        }
      });
      app.commands.notifyCommandChanged(CommandIDs.openMarket);
    });

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          applySettings(settings);
          settings.changed.connect(() => applySettings(settings));
        })
        .catch(reason => {
          console.error(
            `jupyterlab-quant: failed to load settings for ${PLUGIN_ID}.`,
            reason
          );
        });
    }
  }
};

/** Commands of the backtest panel (回测). */
export namespace BacktestCommandIDs {
  /** Open the backtest panel (one per JupyterLab); optional arg `symbols`. */
  export const open = 'jupyterlab-quant:open-backtests';
  /** Open the HTML report of a job; args `id` (job id) and `label`. */
  export const openReport = 'jupyterlab-quant:open-backtest-report';
}

/** Trackers of the backtest panel and its report tabs (live as long as the app). */
interface IBacktestTrackers {
  panels: WidgetTracker<MainAreaWidget<BacktestPanel>>;
  reports: WidgetTracker<MainAreaWidget<BacktestReportWidget>>;
}

/** Optional services the backtest panel hooks into. */
interface IBacktestHosts {
  launcher: ILauncher | null;
  palette: ICommandPalette | null;
  menu: MenuSvg | null;
  restorer: ILayoutRestorer | null;
  /** The strategy library: sources of "回测此版本". */
  strategies: StrategyClient;
}

/**
 * Register the backtest panel (回测): its commands, launcher card, palette
 * and menu items, and the layout restorer of the panel and its reports.
 * The panel code is loaded on first use.
 */
function activateBacktests(
  app: JupyterFrontEnd,
  config: QuantConfig,
  hosts: IBacktestHosts
): IBacktestTrackers {
  const { launcher, palette, menu, restorer, strategies } = hosts;
  const client = new BacktestClient(app.serviceManager.serverSettings);
  const vaultSource = (ref: IVaultStrategyRef): Promise<string> =>
    strategies.get(ref.name, ref.version).then(r => r.content);
  const panels = new WidgetTracker<MainAreaWidget<BacktestPanel>>({
    namespace: 'jupyterlab-quant-backtests'
  });
  const reports = new WidgetTracker<MainAreaWidget<BacktestReportWidget>>({
    namespace: 'jupyterlab-quant-backtest-reports'
  });

  app.commands.addCommand(BacktestCommandIDs.open, {
    label: args =>
      args.isPalette
        ? config.trans.__('Open Backtests')
        : config.trans.__('Backtests'),
    caption: () =>
      config.trans.__(
        'Open the backtest panel: run a strategy on A-share history, follow the jobs, open reports'
      ),
    icon: backtestIcon,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          symbols: {
            type: 'string',
            description: 'Symbols to prefill, e.g. 600519.SH,000001.SZ'
          },
          strategy: {
            type: 'string',
            description:
              'A strategy of the strategy library (策略库) to prefill, with `version`'
          },
          version: {
            type: 'number',
            description: 'Version of `strategy` to backtest'
          }
        }
      }
    },
    execute: async (args: ReadonlyPartialJSONObject) => {
      const vault: IVaultStrategyRef | null =
        typeof args.strategy === 'string' &&
        args.strategy &&
        typeof args.version === 'number'
          ? { name: args.strategy, version: args.version }
          : null;
      const open = panels.currentWidget ?? panels.find(() => true);
      if (open) {
        if (vault) {
          open.content.setVaultStrategy(vault);
        }
        app.shell.activateById(open.id);
        return open;
      }
      const { BacktestPanel } = await import('./panels/backtest');
      const content = new BacktestPanel({
        client,
        config,
        vault,
        vaultSource,
        symbols: typeof args.symbols === 'string' ? args.symbols : undefined,
        onOpenReport: job =>
          void app.commands.execute(BacktestCommandIDs.openReport, {
            id: job.id,
            label: job.label || job.spec.strategy_class || job.id
          })
      });
      const widget = new MainAreaWidget({ content });
      widget.id = 'jupyterlab-quant-backtests';
      widget.addClass('jp-QuantBacktestWidget');
      widget.title.icon = backtestIcon;
      widget.title.closable = true;
      widget.title.label = config.trans.__('Backtests');
      await panels.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    }
  });

  app.commands.addCommand(BacktestCommandIDs.openReport, {
    label: () => config.trans.__('Backtest report'),
    caption: () => config.trans.__('Open the HTML report of a backtest'),
    icon: backtestIcon,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          id: { type: 'string', description: 'Backtest job id' },
          label: { type: 'string', description: 'Shown in the tab title' }
        },
        required: ['id']
      }
    },
    execute: async (args: ReadonlyPartialJSONObject) => {
      const id = typeof args.id === 'string' ? args.id : '';
      if (!id) {
        return null;
      }
      const { createReportMainArea, reportWidgetId } =
        await import('./panels/backtest');
      const open = reports.find(w => w.id === reportWidgetId(id));
      if (open) {
        app.shell.activateById(open.id);
        return open;
      }
      const widget = createReportMainArea({
        client,
        trans: config.trans,
        jobId: id,
        label: typeof args.label === 'string' ? args.label : undefined
      });
      widget.title.icon = backtestIcon;
      await reports.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    }
  });

  launcher?.add({
    command: BacktestCommandIDs.open,
    // eslint-disable-next-line jupyter/no-untranslated-string
    category: 'Quant',
    rank: 1
  });
  palette?.addItem({
    command: BacktestCommandIDs.open,
    // eslint-disable-next-line jupyter/no-untranslated-string
    category: 'Quant',
    args: { isPalette: true }
  });
  menu?.addItem({ command: BacktestCommandIDs.open });

  if (restorer) {
    void restorer.restore(panels, {
      command: BacktestCommandIDs.open,
      name: () => 'backtests'
    });
    void restorer.restore(reports, {
      command: BacktestCommandIDs.openReport,
      args: widget => ({
        id: widget.content.jobId,
        label: widget.content.label
      }),
      name: widget => widget.content.jobId
    });
  }

  config.changed.connect(() => {
    panels.forEach(widget => {
      widget.title.label = config.trans.__('Backtests');
    });
    app.commands.notifyCommandChanged(BacktestCommandIDs.open);
    app.commands.notifyCommandChanged(BacktestCommandIDs.openReport);
  });
  return { panels, reports };
}

/** Commands of the strategy library (策略库). */
export namespace StrategyCommandIDs {
  /** Create a strategy (asks its name) and open it in the editor. */
  export const create = 'jupyterlab-quant:new-strategy';
  /** Version history of a strategy; optional arg `name` (else the selected or open one). */
  export const history = 'jupyterlab-quant:strategy-history';
  /** Show the strategy library in the left sidebar. */
  export const showLibrary = 'jupyterlab-quant:show-strategy-library';
}

/** Id of the strategy library's file browser (left sidebar). */
export const STRATEGY_BROWSER_ID = 'jupyterlab-quant-strategies';

/** Optional services the strategy library hooks into. */
interface IStrategyHosts {
  palette: ICommandPalette | null;
  menu: MenuSvg | null;
  restorer: ILayoutRestorer | null;
  browserFactory: IFileBrowserFactory | null;
  client: StrategyClient;
}

/** The document context of a main-area widget, when it has one (duck-typed). */
interface IDocumentLike {
  context?: {
    path?: string;
    model?: { dirty?: boolean };
    revert?: () => Promise<void>;
  };
}

/**
 * Register the strategy library (策略库): the `jlq-strategies` drive, its
 * file browser in the left sidebar, "new strategy", and the version history
 * (策略版本历史) with restore and "回测此版本".
 */
function activateStrategies(
  app: JupyterFrontEnd,
  config: QuantConfig,
  hosts: IStrategyHosts
): {
  drive: StrategyDrive;
  histories: WidgetTracker<MainAreaWidget<StrategyHistoryWidget>>;
} {
  const { palette, menu, restorer, browserFactory, client } = hosts;
  const drive = new StrategyDrive({ client });
  app.serviceManager.contents.addDrive(drive);
  const histories = new WidgetTracker<MainAreaWidget<StrategyHistoryWidget>>({
    namespace: 'jupyterlab-quant-strategy-history'
  });
  const trans = () => config.trans;

  const browser = browserFactory
    ? browserFactory.createFileBrowser(STRATEGY_BROWSER_ID, {
        driveName: drive.name,
        refreshInterval: 30000,
        restore: false
      })
    : null;

  /** The strategy the history command is about: its arg, the browser's selection, or the open editor. */
  const targetStrategy = (args: ReadonlyPartialJSONObject): string | null => {
    if (typeof args.name === 'string' && args.name) {
      return args.name;
    }
    if (browser && (args.fromBrowser || browser.isVisible)) {
      const item = browser.selectedItems().next();
      const model = item && !item.done ? (item.value as Contents.IModel) : null;
      const name = model ? strategyOfPath(model.path, drive.name) : null;
      if (name || args.fromBrowser) {
        return name;
      }
    }
    const current = app.shell.currentWidget as IDocumentLike | null;
    return strategyOfPath(current?.context?.path, drive.name);
  };

  /** Reload the open, unmodified editors of a strategy (after a restore). */
  const reloadEditors = (name: string): void => {
    const path = `${drive.name}:${strategyFileName(name)}`;
    for (const widget of app.shell.widgets('main')) {
      const context = (widget as IDocumentLike).context;
      if (context?.path === path && !context.model?.dirty && context.revert) {
        void context.revert();
      }
    }
  };

  app.commands.addCommand(StrategyCommandIDs.history, {
    label: () => trans().__('Strategy version history'),
    caption: () =>
      trans().__(
        'Versions of the strategy: show, compare, restore, backtest one'
      ),
    icon: strategyLibraryIcon,
    isEnabled: args => targetStrategy(args) !== null,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'Strategy name (no .py)' }
        }
      }
    },
    execute: async (args: ReadonlyPartialJSONObject) => {
      const name = targetStrategy(args);
      if (!name) {
        return null;
      }
      const id = `jupyterlab-quant-strategy-history-${encodeURIComponent(name)}`;
      const open = histories.find(w => w.id === id);
      if (open) {
        void open.content.history.load();
        app.shell.activateById(id);
        return open;
      }
      const { StrategyHistoryWidget } = await import('./panels/strategies');
      const { describeError } = await import('./errors');
      const content = new StrategyHistoryWidget({
        client,
        name,
        trans: config.trans,
        describe: error => describeError(error, config.trans),
        onRestored: () => reloadEditors(name),
        onBacktest: ref =>
          void app.commands.execute(BacktestCommandIDs.open, {
            strategy: ref.name,
            version: ref.version
          })
      });
      const widget = new MainAreaWidget({ content });
      widget.id = id;
      widget.addClass('jp-QuantStrategyHistoryWidget');
      widget.title.icon = strategyLibraryIcon;
      widget.title.closable = true;
      widget.title.label = trans().__('Versions · %1', name);
      widget.title.caption = trans().__('Strategy version history');
      await histories.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    }
  });

  app.commands.addCommand(StrategyCommandIDs.create, {
    label: () => trans().__('New strategy'),
    caption: () =>
      trans().__(
        'Create a strategy in the strategy library (encrypted; every save is a version)'
      ),
    icon: addIcon,
    describedBy: { args: { type: 'object', properties: {} } },
    execute: async () => {
      const result = await InputDialog.getText({
        title: trans().__('New strategy'),
        label: trans().__('Strategy name'),
        placeholder: trans().__('e.g. %1', 'double_ma'),
        okLabel: trans().__('Create')
      });
      const name = (result.value ?? '').trim().replace(/\.py$/, '');
      if (!result.button.accept || !name) {
        return null;
      }
      if (!isValidStrategyName(name)) {
        await showErrorMessage(
          trans().__('New strategy'),
          trans().__('Bad strategy name “%1”: %2', name, STRATEGY_NAME_HINT)
        );
        return null;
      }
      const path = `${drive.name}:${strategyFileName(name)}`;
      const listing = await drive.get('', { content: true });
      const exists = (listing.content as Contents.IModel[]).some(
        f => f.name === strategyFileName(name)
      );
      if (!exists) {
        drive.createDraft(name);
      }
      return app.commands.execute('docmanager:open', { path });
    }
  });

  palette?.addItem({
    command: StrategyCommandIDs.create,
    // eslint-disable-next-line jupyter/no-untranslated-string
    category: 'Quant'
  });
  palette?.addItem({
    command: StrategyCommandIDs.history,
    // eslint-disable-next-line jupyter/no-untranslated-string
    category: 'Quant'
  });

  if (browser) {
    browser.id = STRATEGY_BROWSER_ID;
    browser.title.icon = strategyLibraryIcon;
    browser.title.caption = trans().__('Strategy library');
    browser.addClass('jp-QuantStrategyBrowser');
    browser.toolbar.addItem(
      'new-strategy',
      new ToolbarButton({
        icon: addIcon,
        tooltip: trans().__('New strategy'),
        onClick: () => void app.commands.execute(StrategyCommandIDs.create)
      })
    );
    browser.toolbar.addItem(
      'history',
      new ToolbarButton({
        label: trans().__('History'),
        tooltip: trans().__('Strategy version history'),
        onClick: () =>
          void app.commands.execute(StrategyCommandIDs.history, {
            fromBrowser: true
          })
      })
    );
    browser.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans().__('Refresh'),
        onClick: () => void browser.model.refresh()
      })
    );
    // A locked vault (423) or a failed listing: say so once per message.
    let lastFailure = '';
    browser.model.connectionFailure.connect((_, error) => {
      const message = error.message;
      if (message !== lastFailure) {
        lastFailure = message;
        Notification.error(trans().__('Strategy library: %1', message), {
          autoClose: 10000
        });
      }
    });
    browser.model.refreshed.connect(() => {
      lastFailure = '';
    });
    app.shell.add(browser, 'left', { rank: 150 });
    restorer?.add(browser, STRATEGY_BROWSER_ID);

    app.commands.addCommand(StrategyCommandIDs.showLibrary, {
      label: () => trans().__('Strategy library'),
      caption: () => trans().__('Show the strategy library in the sidebar'),
      icon: strategyLibraryIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(browser.id)
    });
    palette?.addItem({
      command: StrategyCommandIDs.showLibrary,
      // eslint-disable-next-line jupyter/no-untranslated-string
      category: 'Quant'
    });
    app.contextMenu.addItem({
      command: StrategyCommandIDs.history,
      selector: `#${STRATEGY_BROWSER_ID} .jp-DirListing-item[data-isdir="false"]`,
      args: { fromBrowser: true },
      rank: 1
    });
  }
  menu?.addItem({ type: 'separator' });
  menu?.addItem({ command: StrategyCommandIDs.create });
  menu?.addItem({ command: StrategyCommandIDs.history });

  if (restorer) {
    void restorer.restore(histories, {
      command: StrategyCommandIDs.history,
      args: widget => ({ name: widget.content.strategyName }),
      name: widget => widget.content.strategyName
    });
  }

  config.changed.connect(() => {
    if (browser) {
      browser.title.caption = trans().__('Strategy library');
    }
    histories.forEach(widget => {
      widget.title.label = trans().__(
        'Versions · %1',
        widget.content.strategyName
      );
      widget.content.update();
    });
    for (const id of Object.values(StrategyCommandIDs)) {
      app.commands.notifyCommandChanged(id);
    }
  });
  return { drive, histories };
}

/** Optional services the live panels (风控, 自选) hook into. */
interface ILiveHosts {
  launcher: ILauncher | null;
  palette: ICommandPalette | null;
  menu: MenuSvg | null;
  restorer: ILayoutRestorer | null;
  /** The market data client (symbol search of the watchlist). */
  quant: QuantClient;
  /** Whether the `alertNotifications` setting is on. */
  alertNotifications: () => boolean;
}

/**
 * Register live monitoring: the risk (风控) and watchlist (自选) panels, and
 * the shared WebSocket that feeds them and shows a JupyterLab notification
 * for every new alert. The socket module is loaded once the app is restored
 * (so alerts show even with no panel open); the panels on first use.
 */
function activateLive(
  app: JupyterFrontEnd,
  config: QuantConfig,
  hosts: ILiveHosts
): {
  risk: WidgetTracker<MainAreaWidget<RiskPanel>>;
  watchlist: WidgetTracker<MainAreaWidget<WatchlistPanel>>;
} {
  const { launcher, palette, menu, restorer, quant } = hosts;
  const settings = app.serviceManager.serverSettings;
  const riskClient = new RiskClient(settings);
  const notifyClient = new NotifyClient(settings);
  const watchlistClient = new WatchlistClient(settings);
  const riskPanels = new WidgetTracker<MainAreaWidget<RiskPanel>>({
    namespace: RISK_TRACKER_NAMESPACE
  });
  const watchlistPanels = new WidgetTracker<MainAreaWidget<WatchlistPanel>>({
    namespace: WATCHLIST_TRACKER_NAMESPACE
  });
  const trans = () => config.trans;

  let socketPromise: Promise<LiveSocket> | null = null;
  /** The app's one live socket, started on first use. */
  const liveSocket = (): Promise<LiveSocket> => {
    if (!socketPromise) {
      socketPromise = import('./live').then(({ alertNotifier, LiveSocket }) => {
        const socket = new LiveSocket({ settings });
        socket.on(
          'alert',
          alertNotifier({
            notify: Notification,
            trans,
            openRisk: () => void app.commands.execute(LiveCommandIDs.openRisk),
            enabled: hosts.alertNotifications
          })
        );
        socket.start();
        return socket;
      });
    }
    return socketPromise;
  };
  // Alerts are announced whether or not a panel is open.
  void app.restored.then(liveSocket).catch(reason => {
    console.error('jupyterlab-quant: cannot start the live feed.', reason);
  });

  app.commands.addCommand(LiveCommandIDs.openRisk, {
    label: args =>
      args.isPalette ? trans().__('Open Risk') : trans().__('Risk'),
    caption: () =>
      trans().__(
        'Open the risk panel: rules with live status, account, alerts, notification channels'
      ),
    icon: riskIcon,
    describedBy: { args: { type: 'object', properties: {} } },
    execute: async () => {
      const open = riskPanels.find(() => true);
      if (open) {
        app.shell.activateById(open.id);
        return open;
      }
      const [{ RiskPanel }, socket] = await Promise.all([
        import('./panels/risk'),
        liveSocket()
      ]);
      const content = new RiskPanel({
        risk: riskClient,
        notify: notifyClient,
        socket,
        config
      });
      const widget = new MainAreaWidget({ content });
      widget.id = 'jupyterlab-quant-risk';
      widget.addClass('jp-QuantRiskWidget');
      widget.title.icon = riskIcon;
      widget.title.closable = true;
      widget.title.label = trans().__('Risk');
      await riskPanels.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    }
  });

  app.commands.addCommand(LiveCommandIDs.openWatchlist, {
    label: args =>
      args.isPalette ? trans().__('Open Watchlist') : trans().__('Watchlist'),
    caption: () =>
      trans().__('Open the watchlist: live quotes of the symbols you follow'),
    icon: watchlistIcon,
    describedBy: { args: { type: 'object', properties: {} } },
    execute: async () => {
      const open = watchlistPanels.find(() => true);
      if (open) {
        app.shell.activateById(open.id);
        return open;
      }
      const [{ WatchlistPanel }, socket] = await Promise.all([
        import('./panels/watchlist'),
        liveSocket()
      ]);
      const content = new WatchlistPanel({
        client: watchlistClient,
        socket,
        config,
        search: (query, signal) =>
          quant.symbols(query, { limit: 10 }, { signal }).then(r => r.items),
        onOpenSymbol: symbol =>
          void app.commands.execute(CommandIDs.openMarket, { symbol })
      });
      const widget = new MainAreaWidget({ content });
      widget.id = 'jupyterlab-quant-watchlist';
      widget.addClass('jp-QuantWatchlistWidget');
      widget.title.icon = watchlistIcon;
      widget.title.closable = true;
      widget.title.label = trans().__('Watchlist');
      await watchlistPanels.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    }
  });

  const commands = [LiveCommandIDs.openWatchlist, LiveCommandIDs.openRisk];
  commands.forEach((command, i) => {
    launcher?.add({
      command,
      // eslint-disable-next-line jupyter/no-untranslated-string
      category: 'Quant',
      rank: 2 + i
    });
    palette?.addItem({
      command,
      // eslint-disable-next-line jupyter/no-untranslated-string
      category: 'Quant',
      args: { isPalette: true }
    });
  });
  menu?.addItem({ type: 'separator' });
  menu?.addItem({ command: LiveCommandIDs.openWatchlist });
  menu?.addItem({ command: LiveCommandIDs.openRisk });

  if (restorer) {
    void restorer.restore(riskPanels, {
      command: LiveCommandIDs.openRisk,
      name: () => 'risk'
    });
    void restorer.restore(watchlistPanels, {
      command: LiveCommandIDs.openWatchlist,
      name: () => 'watchlist'
    });
  }

  config.changed.connect(() => {
    riskPanels.forEach(widget => {
      widget.title.label = trans().__('Risk');
    });
    watchlistPanels.forEach(widget => {
      widget.title.label = trans().__('Watchlist');
    });
    for (const command of commands) {
      app.commands.notifyCommandChanged(command);
    }
  });
  return { risk: riskPanels, watchlist: watchlistPanels };
}

export default plugin;
