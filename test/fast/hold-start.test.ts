import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { CallerGone, TemporalUnavailable, WorkflowRefusal } from '../../src/temporal/call-errors';
import { eagerStart, updateWithStart, type HoldStartCounts } from '../../src/temporal/holds';
import { ReservationWaiters } from '../../src/temporal/reservation-waiters';
import type { HoldWorkflowInput } from '../../src/shared/types';
import type { HoldView } from '../../src/shared/views';

/** The two hold start strategies against a fake client: what each sends, and how each gives up. */
const input: HoldWorkflowInput = {
  holdId: 7,
  productId: 3,
  quantity: 2,
  ttlSeconds: 120,
  paymentTimeoutSeconds: 900,
  expiresAt: '2026-12-04T10:02:00.000Z',
  answerBy: '2026-12-04T10:00:10.000Z',
};
const hold = { id: 7, product_id: 3, quantity: 2 } as HoldView;
const never = () => new Promise<never>(() => undefined);

/** Both strategies on task queue `holds` over one fake client, counting their starts in `n`. */
function fakeClient() {
  const handle = { eagerlyStarted: true, executeUpdate: jest.fn(async () => hold) };
  const workflow = {
    executeUpdateWithStart: jest.fn(async (): Promise<HoldView> => hold),
    start: jest.fn(async () => handle),
  };
  const client = { withDeadline: (_d: number, fn: () => Promise<unknown>) => fn(), workflow } as unknown as Client;
  const n: HoldStartCounts = { eager: 0, update_with_start: 0 };
  const waiters = new ReservationWaiters();
  const uws = updateWithStart(() => client, 'holds', n);
  const eager = eagerStart(() => client, waiters, 'holds', n);
  return { workflow, handle, n, waiters, uws, eager };
}

describe('Update-with-Start', () => {
  test('starts the hold as its business id, attaching a retry to the first run, and asks its reserve update', async () => {
    const { uws, workflow, n } = fakeClient();
    await expect(uws.start(input, Date.now() + 1_000)).resolves.toBe(hold);
    const [, options] = workflow.executeUpdateWithStart.mock.calls[0] as unknown as [unknown, Record<string, any>];
    expect(options.updateId).toBe('reserve');
    expect(options.startWorkflowOperation.options).toMatchObject({
      workflowId: 'hold-7',
      taskQueue: 'holds',
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [input],
    });
    expect(n).toEqual({ eager: 0, update_with_start: 1 });
  });

  test('gives up at its deadline with a TemporalUnavailable, and at once when the caller hangs up', async () => {
    const { uws, workflow } = fakeClient();
    workflow.executeUpdateWithStart.mockImplementation(never);
    await expect(uws.start(input, Date.now() + 30)).rejects.toBeInstanceOf(TemporalUnavailable);
    const gone = new AbortController();
    const asked = uws.start(input, Date.now() + 60_000, gone.signal);
    gone.abort();
    await expect(asked).rejects.toBeInstanceOf(CallerGone);
  });
});

describe('eager start', () => {
  test('asks for an eager start and answers from this process’s reservation', async () => {
    const { eager, workflow, waiters, n } = fakeClient();
    const asked = eager.start(input, Date.now() + 1_000);
    await new Promise(setImmediate);
    expect(workflow.start.mock.calls[0]).toEqual([
      'holdWorkflowV2',
      expect.objectContaining({ workflowId: 'hold-7', requestEagerStart: true }),
    ]);
    waiters.settle(7, { kind: 'held', hold });
    await expect(asked).resolves.toBe(hold);
    expect(n).toEqual({ eager: 1, update_with_start: 0 });
    expect(waiters.size).toBe(0);
  });

  test('a business refusal comes back as the workflow’s refusal', async () => {
    const { eager, waiters } = fakeClient();
    const asked = eager.start(input, Date.now() + 1_000);
    await new Promise(setImmediate);
    const failure = ApplicationFailure.create({
      type: 'InsufficientStock',
      nonRetryable: true,
      details: [{ available: 1 }],
    });
    waiters.settle(7, { kind: 'refused', failure });
    const err = await asked.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowRefusal);
    expect(err).toMatchObject({ type: 'InsufficientStock', details: [{ available: 1 }] });
  });

  test('a start the server ran elsewhere is answered by the reserve update', async () => {
    const { eager, handle, n } = fakeClient();
    handle.eagerlyStarted = false;
    await expect(eager.start(input, Date.now() + 1_000)).resolves.toBe(hold);
    expect(handle.executeUpdate).toHaveBeenCalledWith(expect.anything(), { updateId: 'reserve' });
    expect(n).toEqual({ eager: 0, update_with_start: 1 });
  });

  test('no reservation by the deadline: TemporalUnavailable, and the call stops listening', async () => {
    const { eager, waiters } = fakeClient();
    await expect(eager.start(input, Date.now() + 30)).rejects.toBeInstanceOf(TemporalUnavailable);
    expect(waiters.size).toBe(0);
  });

  test('a start that never returns gives up after its own round trip, not the whole call deadline', async () => {
    const { eager, workflow } = fakeClient();
    workflow.start.mockImplementation(never);
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    try {
      const outcome = eager.start(input, Date.now() + 10_000).catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(2_001);
      expect(await outcome).toBeInstanceOf(TemporalUnavailable);
    } finally {
      jest.useRealTimers();
    }
  });
});
