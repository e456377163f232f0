import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The layers of src/ are lint rules (eslint.config.mjs; cycles also `.dependency-cruiser.cjs`): a file dropped into a
 * layer with an import it may not make fails `npm run lint`. ESLint's Node API lints the probes in memory as if they
 * were in src/ (in a child process: the config is an ES module, which Jest's module system does not load).
 */
const root = path.resolve(__dirname, '../..');

interface Finding {
  ruleId: string | null;
  line: number;
  message: string;
}

/** The probes: a file name in src/ each, and its source. */
const probes: Record<string, string[]> = {
  'src/api/layer-probe.ts': [
    "import { defineModels } from '../db/models';",
    "import type { Models } from '../db/models';",
    "import { createHoldDesk } from '../sale/holds';",
    "export const sql = 'SELECT * FROM holds';",
    'export const probe = (models: Models) => [defineModels, createHoldDesk, models.Hold];',
  ],
  'src/activities/layer-probe.ts': [
    "import { createApp } from '../api/app';",
    "import { createHoldDesk } from '../sale/holds';",
    "import { connectClient } from '../temporal/connection';",
    "import { readHold } from '../db/holds';",
    'export const probe = [createApp, createHoldDesk, connectClient, readHold];',
  ],
  'src/shared/layer-probe.ts': ["import { holdView } from '../db/views';", 'export { holdView };'],
  'src/db/layer-probe.ts': [
    "import { loadConfig, type Config } from '../config';",
    'export const probe = (c: Config) => [loadConfig, c];',
  ],
  'src/worker/layer-probe.ts': [
    "import { createApp } from '../api/app';",
    "import { defineModels } from '../db/models';",
    'export const probe = [createApp, defineModels];',
  ],
};

/** Lints every probe with ESLint's Node API, once (loading the config takes most of the time). */
function lintProbes(): Record<string, Finding[]> {
  const script = `
    import { ESLint } from 'eslint';
    const probes = JSON.parse(process.argv[1]);
    // The probes are not on disk, so the type-aware parser cannot see them; the layer rules need no types.
    const eslint = new ESLint({
      overrideConfig: {
        languageOptions: { parserOptions: { projectService: false } },
        rules: { '@typescript-eslint/no-floating-promises': 'off' },
      },
    });
    const findings = {};
    for (const [filePath, lines] of Object.entries(probes)) {
      const [result] = await eslint.lintText(lines.join('\\n'), { filePath });
      findings[filePath] = result.messages.map(({ ruleId, line, message }) => ({ ruleId, line, message }));
    }
    console.log(JSON.stringify(findings));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(probes)], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, Finding[]>;
}

let findings: Record<string, Finding[]>;
beforeAll(() => {
  findings = lintProbes();
}, 180_000);

/** The rules that fired on each line of a probe, in order. */
const rulesByLine = (file: string) =>
  probes[file].map((_, i) => findings[file].filter((f) => f.line === i + 1).map((f) => f.ruleId));

describe('the layers of src/ are enforced by `npm run lint`', () => {
  test('api/ may import the types of db/ but not its values, nor SQL, nor the models', () => {
    expect(rulesByLine('src/api/layer-probe.ts')).toEqual([
      ['boundaries/dependencies'],
      [],
      [],
      ['no-restricted-syntax'],
      ['no-restricted-syntax'],
    ]);
  });

  test('activities/ may not import the API, the sale or the Temporal gateway; they may call db/', () => {
    expect(rulesByLine('src/activities/layer-probe.ts')).toEqual([
      ['boundaries/dependencies'],
      ['boundaries/dependencies'],
      ['boundaries/dependencies'],
      [],
      [],
    ]);
  });

  test('shared/ imports nothing of the project but shared/; db/ takes only the types of config', () => {
    expect(rulesByLine('src/shared/layer-probe.ts')[0]).toEqual(['boundaries/dependencies']);
    expect(rulesByLine('src/db/layer-probe.ts')[0]).toEqual(['boundaries/dependencies']);
  });

  test('an entry point composes everything', () => {
    expect(findings['src/worker/layer-probe.ts']).toEqual([]);
  });
});
