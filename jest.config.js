// Three tiers by file suffix: *.test.ts (unit, no I/O), *.int.test.ts (one
// subgraph against real PostgreSQL/Redis), *.e2e.test.ts (the whole supergraph
// through the gateway). Tests compile with the same swc settings as the build.
const { readFileSync } = require('node:fs');
const path = require('node:path');

const { exclude: _buildOnly, $schema: _schema, ...swcOptions } = JSON.parse(readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));

const common = {
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcOptions, swcrc: false }] },
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
};

module.exports = {
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.int\\.test\\.ts$', '\\.e2e\\.test\\.ts$'],
    },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/**/*.int.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/**/*.e2e.test.ts'] },
  ],
};
