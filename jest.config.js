// `npx jest` alone gets the same isolated test resources as `npm test`.
process.env.DATABASE_URL ??= 'mysql://root@127.0.0.1:3306/flash_sale_test';
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379/15';
process.env.TEMPORAL_NAMESPACE ??= 'flash-sale-test';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/chaos', '<rootDir>/bench'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/global-setup.ts',
  testTimeout: 60_000,
  slowTestThreshold: 20,
};
