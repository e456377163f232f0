import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import boundaries from 'eslint-plugin-boundaries';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/*
 * The layers of src/ (rule `boundaries/dependencies`; cycles: `import-x/no-cycle` here, and dependency-cruiser in
 * `npm run lint` for type-only cycles). An arrow is "may import values from"; each policy below says what a layer
 * may import as values and as types. Nothing imports upwards.
 *
 *   entry points   api/main.ts, api/server.ts, worker/*, cli/*, db/cli.ts, db/migrate.ts, events/receiver.ts
 *        |         (they compose everything)
 *        v
 *   api/** ---------------> sale/**             HTTP in, HTTP out (types from anywhere)
 *                            |     |     |
 *                            v     v     v
 *                  temporal/**  db/**  cache/**  the sale's rules call the gateway, the database and the cache
 *   activities/** ----------------^------^       activities call db and cache (never api, sale, temporal)
 *   workflows/**  -> shared, and the TYPES of activities (the sandbox, see the rule below)
 *        ...all of them -> shared/**, which imports nothing of the project
 *
 * Files beside them (each policy says which layer takes what from them): config.ts, logger.ts,
 * signature.ts (the webhook and event signature scheme), faults.ts (the chaos suite's fault points, for db and
 * activities), telemetry.ts (OpenTelemetry: the entry points start it, temporal/ takes its client interceptors), runtime.ts (the entry points' start-up check of Node.js itself); config.ts itself reads temporal/envconfig.ts, the Temporal profile parser, which imports nothing.
 */
const layer = (type) => ({ element: { type } });
const files = (...categories) => ({ file: { categories: categories.length === 1 ? categories[0] : categories } });
const allowValues = (...targets) => ({ to: targets, dependency: { kind: 'value' } });
const allowTypes = (...targets) => ({ to: targets, dependency: { kind: 'type' } });
const anything = [{ element: { type: '*' } }, { file: { categories: '*' } }];

const layerElements = [
  'api',
  'sale',
  'temporal',
  'activities',
  'workflows',
  'worker',
  'cli',
  'events',
  'db',
  'cache',
  'shared',
].map((type) => ({ type, pattern: `src/${type}`, partialMatch: false }));

const layerFiles = [
  {
    category: 'entry',
    pattern: [
      'src/api/main.ts',
      'src/api/server.ts',
      'src/worker/**',
      'src/cli/**',
      'src/db/cli.ts',
      'src/db/migrate.ts',
      'src/events/receiver.ts',
    ],
  },
  { category: 'config', pattern: 'src/config.ts' },
  { category: 'logger', pattern: 'src/logger.ts' },
  { category: 'signature', pattern: 'src/signature.ts' },
  { category: 'faults', pattern: 'src/faults.ts' },
  { category: 'envconfig', pattern: 'src/temporal/envconfig.ts' },
  { category: 'telemetry', pattern: 'src/telemetry.ts' },
  { category: 'runtime', pattern: 'src/runtime.ts' },
];

const layerPolicies = [
  {
    from: layer('api'),
    allow: [
      allowValues(layer('sale'), layer('shared'), files('config', 'logger', 'signature')),
      allowTypes(...anything),
    ],
  },
  {
    from: layer('sale'),
    allow: [
      allowValues(layer('temporal'), layer('db'), layer('cache'), layer('shared')),
      allowTypes(layer('temporal'), layer('db'), layer('cache'), layer('shared'), files('config', 'logger', 'faults')),
    ],
  },
  {
    from: layer('temporal'),
    allow: [
      allowValues(layer('shared'), files('telemetry')),
      allowTypes(layer('shared'), layer('workflows'), files('config', 'logger')),
    ],
  },
  {
    from: layer('activities'),
    allow: [
      allowValues(layer('db'), layer('cache'), layer('shared'), files('logger', 'signature', 'faults')),
      allowTypes(layer('db'), layer('cache'), layer('shared'), files('config', 'logger', 'faults')),
    ],
  },
  {
    from: layer('workflows'),
    allow: [allowValues(layer('shared')), allowTypes(layer('shared'), layer('activities'))],
  },
  {
    from: [layer('db'), layer('cache')],
    allow: [allowValues(layer('shared'), files('faults')), allowTypes(layer('shared'), files('config', 'logger'))],
  },
  { from: layer('shared'), allow: [] },
  { from: files('config'), allow: allowValues(files('envconfig')) },
  { from: files('entry'), allow: [allowValues(...anything), allowTypes(...anything)] },
];

// SQL and Sequelize stay in db/: elsewhere a query is a call to a db/ module with a domain name.
const sqlStatement = '/^\\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE)\\s/i';
const noSqlOutsideDb = [
  { selector: `Literal[value=${sqlStatement}]`, message: 'SQL belongs in src/db: call a db/ module instead.' },
  {
    selector: `TemplateElement[value.raw=${sqlStatement}]`,
    message: 'SQL belongs in src/db: call a db/ module instead.',
  },
];

const nodeBuiltins = [
  'fs',
  'path',
  'crypto',
  'http',
  'https',
  'net',
  'os',
  'child_process',
  'util',
  'stream',
  'events',
  'timers',
  'worker_threads',
  'dns',
  'zlib',
  'url',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.run/**', 'coverage/**', 'jest.config.js', 'bench/**/*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-console': 'error',
      // Issue #20: a function (a factory's nested closures included) stays readable on one screen.
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Issue #24: the support code stays in short files and readable functions. A test file's describe block is a
    // list of cases, not a function a reader follows, so only files are bounded there.
    files: ['harness/**/*.ts', 'chaos/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['harness/**/*.ts', 'chaos/**/*.ts', 'bench/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Workflows run in Temporal's deterministic sandbox: no Node modules, no I/O libraries, activity types only.
    files: ['src/workflows/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins
              .flatMap((m) => [m, `node:${m}`])
              .map((name) => ({ name, message: 'Node modules are not allowed in workflow code.' })),
            ...[
              'sequelize',
              'mysql2',
              'ioredis',
              'koa',
              '@koa/router',
              'pino',
              '@temporalio/client',
              '@temporalio/worker',
              '@temporalio/activity',
            ].map((name) => ({
              name,
              message: 'Workflow code must stay deterministic: no I/O libraries.',
            })),
          ],
          patterns: [
            {
              group: ['../activities', '../activities/*'],
              allowTypeImports: true,
              message: 'Import activity types only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries, 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver()],
      // eslint-plugin-boundaries resolves through eslint-plugin-import's setting.
      'import/resolver': { typescript: true },
      'boundaries/elements': layerElements,
      'boundaries/files': layerFiles,
      'boundaries/include': ['src/**/*.ts'],
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', checkUnknownLocals: true, policies: layerPolicies }],
      'import-x/no-cycle': 'error',
      'no-restricted-syntax': ['error', ...noSqlOutsideDb],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: 'sequelize', allowTypeImports: true, message: 'Queries belong in src/db.' }] },
      ],
    },
  },
  {
    // The API hands its models and database to sale/ and never queries them itself.
    files: ['src/api/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...noSqlOutsideDb,
        { selector: "MemberExpression[object.name='models']", message: 'The API reads through sale/, not the models.' },
        { selector: "CallExpression[callee.property.name='query']", message: 'The API queries through sale/ and db/.' },
      ],
    },
  },
  {
    files: ['src/db/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off', '@typescript-eslint/no-restricted-imports': 'off' },
  },
);
