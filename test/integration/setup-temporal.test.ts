import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { NAMESPACE_RETENTION_DAYS } from '../../src/shared/retention';

/** `npm run setup-temporal` against the real dev server: a namespace of its own, created once, then
 * only brought to the service's retention. */

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const namespace = `setup-test-${randomUUID().slice(0, 8)}`;

async function setup(args: string[] = []) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'src/cli/setup-temporal.ts'), ...args],
      {
        cwd: root,
        env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, NODE_ENV: 'test' },
        timeout: 90_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let connection: Connection;
beforeAll(async () => {
  connection = await Connection.connect({ address });
});
afterAll(async () => {
  await connection.operatorService.deleteNamespace({ namespace }).catch(() => undefined);
  await connection.close();
});

describe('npm run setup-temporal', () => {
  test('creates the namespace and the five search attributes, then finds them on a second run', async () => {
    const first = await setup();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`namespace ${namespace}: created (retention ${NAMESPACE_RETENTION_DAYS} days)`);
    for (const name of ['HoldStatus', 'OrderStatus', 'ProductId', 'HoldExpiresAt', 'CustomerId']) {
      expect(first.stdout).toMatch(new RegExp(`search attribute ${name}: created`));
    }
    const described = await connection.workflowService.describeNamespace({ namespace });
    expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(NAMESPACE_RETENTION_DAYS * 86_400);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const types = temporal.api.enums.v1.IndexedValueType;
    expect(customAttributes).toMatchObject({
      HoldStatus: types.INDEXED_VALUE_TYPE_KEYWORD,
      OrderStatus: types.INDEXED_VALUE_TYPE_KEYWORD,
      ProductId: types.INDEXED_VALUE_TYPE_INT,
      HoldExpiresAt: types.INDEXED_VALUE_TYPE_DATETIME,
      CustomerId: types.INDEXED_VALUE_TYPE_KEYWORD,
    });

    const second = await setup();
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`namespace ${namespace}: exists`);
    expect(second.stdout).not.toContain('created');
  });

  test("an existing namespace with another retention (a dev server's own) is given the service's one", async () => {
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: msToTs(86_400_000) },
    });
    const res = await setup();
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(
      `namespace ${namespace}: retention set to ${NAMESPACE_RETENTION_DAYS} days (was 1 days)`,
    );
    const described = await connection.workflowService.describeNamespace({ namespace });
    expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(NAMESPACE_RETENTION_DAYS * 86_400);
    expect((await setup()).stdout).toContain(
      `namespace ${namespace}: exists (retention ${NAMESPACE_RETENTION_DAYS} days)`,
    );
  });

  test('a bad flag is a usage error (exit 2) and changes nothing', async () => {
    const res = await setup(['--retention-days', '0']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--retention-days must be a whole number of days (1-3650)');
  });
});
