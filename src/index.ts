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
  IThemeManager,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { MenuSvg } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { BacktestClient, QuantClient } from './api';
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
import { CommandIDs, MARKET_TRACKER_NAMESPACE, PLUGIN_ID } from './tokens';

export { BacktestClient, QuantApiError, QuantClient, requestAPI } from './api';
export * from './models';
export { CommandIDs, PLUGIN_ID } from './tokens';

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
    IThemeManager
  ],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null,
    restorer: ILayoutRestorer | null,
    themeManager: IThemeManager | null
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

    const applySettings = (raw: ISettingRegistry.ISettings | null): void => {
      const settings = normalizeSettings(
        raw ? (raw.composite as Record<string, unknown>) : null
      );
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

    activateBacktests(app, config, { launcher, palette, menu, restorer });

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
  const { launcher, palette, menu, restorer } = hosts;
  const client = new BacktestClient(app.serviceManager.serverSettings);
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
          }
        }
      }
    },
    execute: async (args: ReadonlyPartialJSONObject) => {
      const open = panels.currentWidget ?? panels.find(() => true);
      if (open) {
        app.shell.activateById(open.id);
        return open;
      }
      const { BacktestPanel } = await import('./panels/backtest');
      const content = new BacktestPanel({
        client,
        config,
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

export default plugin;
