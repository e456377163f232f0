import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The support code's direction (.dependency-cruiser.cjs, run by `npm run lint`): test/, chaos/ and bench/ stand on
 * harness/ and src/ only, harness/ on src/ only. Probe files that break it are cruised and must be reported.
 */
const root = path.resolve(__dirname, '../..');

const probes: Record<string, string> = {
  'harness/direction-probe.ts': "import { log } from '../chaos/util';\nexport const probe = log;\n",
  'test/direction-probe.ts': "import { round } from '../bench/lib/util';\nexport const probe = round;\n",
  'bench/direction-probe.ts': "import { log } from '../chaos/util';\nexport const probe = log;\n",
  'chaos/direction-probe.ts':
    "import { configFailure } from '../test/support/config';\nexport const probe = configFailure;\n",
  'src/direction-probe.ts': "import { sleep } from '../harness/wait';\nexport const probe = sleep;\n",
};

interface Cruise {
  summary: { violations: { from: string; to: string; rule: { name: string } }[] };
}

function cruise(files: string[]): Cruise {
  const bin = path.join(root, 'node_modules/.bin/depcruise');
  const args = [...files, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'];
  try {
    return JSON.parse(execFileSync(bin, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as Cruise;
  } catch (err) {
    // depcruise exits non-zero when it finds violations; its report is still on stdout.
    return JSON.parse((err as { stdout: string }).stdout) as Cruise;
  }
}

describe('the support code’s direction', () => {
  let found: Cruise['summary']['violations'];
  beforeAll(() => {
    for (const [file, source] of Object.entries(probes)) writeFileSync(path.join(root, file), source);
    try {
      found = cruise(Object.keys(probes)).summary.violations;
    } finally {
      for (const file of Object.keys(probes)) rmSync(path.join(root, file), { force: true });
    }
  }, 60_000);

  it.each([
    ['harness/direction-probe.ts', 'harness-under-all'],
    ['test/direction-probe.ts', 'test-on-harness'],
    ['bench/direction-probe.ts', 'bench-on-harness'],
    ['chaos/direction-probe.ts', 'chaos-on-harness'],
    ['src/direction-probe.ts', 'src-stands-alone'],
  ])('%s is reported by rule %s', (file, rule) => {
    expect(found.filter((v) => v.from === file).map((v) => v.rule.name)).toContain(rule);
  });

  it('the tree itself has no violation of these rules', () => {
    const rules = new Set([
      'harness-under-all',
      'test-on-harness',
      'bench-on-harness',
      'chaos-on-harness',
      'src-stands-alone',
    ]);
    const tree = cruise(['src', 'harness', 'test', 'chaos', 'bench']).summary.violations;
    expect(tree.filter((v) => rules.has(v.rule.name))).toEqual([]);
  });
});
