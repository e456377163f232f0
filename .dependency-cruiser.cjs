/**
 * Import cycles in src/, type-only imports included (import-x/no-cycle in ESLint sees value imports only), and the
 * direction of the support code: test/, chaos/ and bench/ stand on harness/ and src/, never on each other; harness/
 * stands on src/ alone; src/ on nothing of them. `npm run lint` runs it; the layers of src/ themselves are ESLint's
 * rule (eslint.config.mjs).
 */
const support = (name, from, to, comment) => ({
  name,
  severity: 'error',
  comment,
  from: { path: from },
  to: { path: to },
});
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'No import cycles in src/ or harness/, value or type.',
      from: { path: '^(src|harness)/' },
      to: {
        circular: true,
      },
    },
    support('src-stands-alone', '^src/', '^(harness|test|chaos|bench)/', 'The service imports no support code.'),
    support('harness-under-all', '^harness/', '^(test|chaos|bench)/', 'The harness serves test/, chaos/ and bench/.'),
    support('test-on-harness', '^test/', '^(chaos|bench)/', 'Tests share code through harness/, not chaos/ or bench/.'),
    support('chaos-on-harness', '^chaos/', '^(test|bench)/', 'The chaos suite shares code through harness/.'),
    support('bench-on-harness', '^bench/', '^(test|chaos)/', 'The bench shares code through harness/.'),
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
  },
};
