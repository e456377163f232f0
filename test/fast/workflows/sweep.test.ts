import type { SweepInput } from '../../../src/shared/types';
import type { sweepWorkflow } from '../../../src/workflows/sweep';
import { useFakeSale } from './harness';

const TASK_QUEUE = 'fast-sweep';
const SWEEP: SweepInput = { graceSeconds: 30, paymentTimeoutSeconds: 900, batchSize: 500 };

const fake = useFakeSale(TASK_QUEUE, 100);

test("the sweep and a hold's timer race for one expiry: the stock comes back once", async () => {
  const { holdId, handle } = await fake.reserveHold({ quantity: 7 });
  const total = fake.sale.unitsAccountedFor();
  const available = fake.sale.state.available;

  // The sweep commits just before the hold's own expiry release does (a timer queued behind a storm).
  fake.sale.beforeNextRelease(holdId, () => fake.sale.activities.sweepExpired({ ...SWEEP, graceSeconds: 0 }));

  const result = await handle.result();
  // The timer's release found the stock already back: nothing is given back twice.
  expect(result.state).toBe('EXPIRED');
  expect(fake.sale.callsOf(holdId)).toContain(`release ${holdId} expired -> false`);
  expect(fake.sale.state.stockReturns).toEqual([`${holdId} sweep`]);
  expect(fake.sale.unitsAccountedFor()).toBe(total);
  expect(fake.sale.state.available).toBe(available + 7);
});

test('a Schedule run releases the holds whose timers are gone, past the grace, and never one twice', async () => {
  const now = await fake.env.currentTimeMs();
  const before = fake.sale.unitsAccountedFor();
  fake.sale.seedHold(100, 4, now - (SWEEP.graceSeconds + 1) * 1000); // lapsed beyond the grace
  fake.sale.seedHold(101, 2, now - 1_000); // lapsed, but within the grace: its own timer may still come
  const run = (n: number) =>
    fake.env.client.workflow.execute<typeof sweepWorkflow>('sweepWorkflow', {
      workflowId: `flash-sale-sweep-run-${n}`,
      taskQueue: TASK_QUEUE,
      args: [SWEEP],
    });
  expect(await run(1)).toEqual({ holdsReleased: 1, ordersCancelled: 0 });
  expect(fake.sale.state.holds.get(100)!.released_at).not.toBeNull();
  expect(fake.sale.state.holds.get(101)!.released_at).toBeNull();
  // Time skips while the test awaits a run: hold 101's grace may have passed by the next one. 100 never comes twice.
  const second = await run(2);
  expect(second.holdsReleased).toBe(fake.sale.state.holds.get(101)!.released_at === null ? 0 : 1);
  expect(fake.sale.unitsAccountedFor()).toBe(before);
});
