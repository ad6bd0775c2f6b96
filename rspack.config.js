// Extra bundler options, merged by @jupyter/builder into its Rspack config
// (package.json → jupyterlab.webpackConfig).
//
// The K-line chunk (ECharts core + candlestick/bar/line charts, zrender) is
// about 600 KiB minified. It is loaded lazily when the market panel first
// opens, never at JupyterLab start-up, so the default 300 KiB hint is raised
// to a budget that still flags real growth.
module.exports = {
  performance: {
    maxAssetSize: 700 * 1024,
    maxEntrypointSize: 700 * 1024
  }
};
