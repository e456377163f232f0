/**
 * The fast tier (npm run test:fast): workflow rules on Temporal's time-skipping test server with stub activities,
 * and the routes in process against stubbed gateways. No MariaDB, Redis or Temporal server needs to run.
 * `npm test` (jest.config.js) runs these files too, with everything else.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/fast'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/fast/global-setup.ts',
  globalTeardown: '<rootDir>/test/fast/global-teardown.ts',
  testTimeout: 20_000,
  slowTestThreshold: 5,
};
