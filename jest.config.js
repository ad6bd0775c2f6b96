const jestJupyterLab = require('@jupyterlab/testutils/lib/jest-config');

// ES modules that must be transformed by babel before jest can load them.
const esModules = [
  '@codemirror',
  '@jupyter/ydoc',
  '@jupyterlab/',
  'echarts',
  'lib0',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs',
  'zrender'
].join('|');

const baseConfig = jestJupyterLab(__dirname);

module.exports = {
  ...baseConfig,
  automock: false,
  collectCoverageFrom: [
    'src/**/*.{ts,tsx}',
    '!src/**/*.d.ts',
    // Test helpers (e.g. __tests__/fieldLists.ts) are not product code.
    '!src/**/__tests__/**',
    '!src/**/.ipynb_checkpoints/*'
  ],
  coverageReporters: ['lcov', 'text'],
  // No jest-junit: it would drop junit.xml into the repository root.
  reporters: ['default'],
  testRegex: 'src/.*/.*.spec.ts[x]?$',
  modulePathIgnorePatterns: [
    '<rootDir>/.venv',
    '<rootDir>/jupyterlab_quant/labextension',
    '<rootDir>/lib'
  ],
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
};
