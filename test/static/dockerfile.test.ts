import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The image (Dockerfile, .dockerignore) agrees with the code: Node.js 22, production-only, non-root. Not built. */
const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** Dockerfile stages: each FROM line with the instructions under it (line continuations joined). */
const stages = read('Dockerfile')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((l) => l.trim() && !l.trim().startsWith('#'))
  .reduce<{ from: string; lines: string[] }[]>((acc, line) => {
    if (/^FROM\s/i.test(line)) acc.push({ from: line, lines: [] });
    else acc.at(-1)?.lines.push(line);
    return acc;
  }, []);
const runtime = stages.at(-1)!;

describe('Dockerfile', () => {
  it('is multi-stage on node:22-bookworm-slim (Node.js 22 LTS)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.from).toMatch(/^FROM\s+node:22-bookworm-slim\s+AS\s+\w+/i);
  });

  it('runs a Node.js version package.json engines accepts (Node.js 22, the version scripts/lib.sh installs)', () => {
    const engines = JSON.parse(read('package.json')).engines.node as string;
    const minimum = Number(engines.match(/^>=\s*(\d+)$/)?.[1]);
    expect(minimum).toBe(22);
    expect(read('scripts/lib.sh')).toMatch(new RegExp(`NODE_VERSION="${minimum}\\.`));
    for (const stage of stages) expect(Number(stage.from.match(/node:(\d+)/)?.[1])).toBeGreaterThanOrEqual(minimum);
  });

  it('compiles and prebuilds the workflow bundle in the build stage', () => {
    const build = stages.find((s) => / AS build$/i.test(s.from.trim()))!;
    const runs = build.lines.filter((l) => /^RUN\s/i.test(l)).join('\n');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toContain('npm run build');
    expect(runs).toContain('node dist/cli/bundle-workflows.js dist/workflow-bundle.js');
    expect(existsSync(path.join(root, 'src/cli/bundle-workflows.ts'))).toBe(true);
  });

  it('installs production dependencies only in the runtime stage and copies the compiled output', () => {
    const lines = runtime.lines.join('\n');
    expect(lines).toMatch(/npm ci\b[^\n]*--omit=dev/);
    expect(lines).toMatch(/COPY --from=build \/app\/dist/);
    expect(lines).toMatch(/WORKFLOW_BUNDLE_PATH=\/app\/dist\/workflow-bundle\.js/);
    expect(lines).not.toMatch(/COPY\s+(\.|src)\s/);
  });

  it('runs every process with AsyncContextFrame, as the scripts do on Node.js 22 (scripts/lib.sh)', () => {
    expect(runtime.lines.join('\n')).toMatch(/NODE_OPTIONS=--experimental-async-context-frame\b/);
    expect(read('scripts/lib.sh')).toContain('--experimental-async-context-frame');
  });

  it('runs as a non-root user', () => {
    const users = runtime.lines.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:.*)?$/);
  });

  it('checks the API at /health and starts the API by default', () => {
    const healthcheck = runtime.lines.find((l) => /^HEALTHCHECK\s/i.test(l));
    expect(healthcheck).toContain('/health');
    expect(runtime.lines.find((l) => /^CMD\s/i.test(l))).toBe('CMD ["node", "dist/api/main.js"]');
  });

  it('keeps secrets, dependencies and build output out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', '.run', '.env']));
  });
});
