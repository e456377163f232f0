/**
 * Import cycles in src/, type-only imports included (import-x/no-cycle in ESLint sees value imports only).
 * `npm run lint` runs it; the layers themselves are ESLint's rule (eslint.config.mjs).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'No import cycles in src/, value or type.',
      from: { path: '^src/' },
      to: {
        circular: true,
      },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
  },
};
