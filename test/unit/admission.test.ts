import { Admission, AdmissionAbandoned, AdmissionTimeout } from '../../src/temporal/admission';

/** A call that finishes only when the test says so. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { open, done };
}

describe('Admission (the bound on Temporal calls in flight)', () => {
  afterEach(() => jest.useRealTimers());

  test('runs up to the limit at once, queues the rest in arrival order', async () => {
    const admission = new Admission(2, 60_000);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const calls = gates.map((g, i) =>
      admission.run(async () => {
        started.push(i);
        await g.done;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect([admission.active, admission.queued]).toEqual([2, 2]);
    gates[1].open();
    expect(await calls[1]).toBe(1);
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    gates[0].open();
    gates[2].open();
    gates[3].open();
    expect(await Promise.all(calls)).toEqual([0, 1, 2, 3]);
    expect([admission.active, admission.queued]).toEqual([0, 0]);
  });

  test('a call that waits past the queue timeout is refused without running, and frees nothing it never had', async () => {
    jest.useFakeTimers();
    const admission = new Admission(1, 500);
    const busy = gate();
    const first = admission.run(() => busy.done);
    let ran = false;
    const second = admission.run(async () => {
      ran = true;
    });
    jest.advanceTimersByTime(499);
    expect(admission.queued).toBe(1);
    jest.advanceTimersByTime(1);
    await expect(second).rejects.toBeInstanceOf(AdmissionTimeout);
    expect(ran).toBe(false);
    expect([admission.active, admission.queued]).toEqual([1, 0]);
    busy.open();
    await first;
    expect(admission.active).toBe(0);
  });

  test('a failing call gives its slot back', async () => {
    const admission = new Admission(1, 1_000);
    await expect(admission.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await admission.run(async () => 'next')).toBe('next');
    expect(admission.active).toBe(0);
  });

  test('a queued call whose caller went away leaves the queue without running; the next one moves up', async () => {
    const admission = new Admission(1, 60_000);
    const busy = gate();
    const first = admission.run(() => busy.done);
    const gone = new AbortController();
    const ran: string[] = [];
    const abandoned = admission.run(async () => void ran.push('abandoned'), gone.signal);
    const next = admission.run(async () => void ran.push('next'));
    expect(admission.queued).toBe(2);
    gone.abort();
    await expect(abandoned).rejects.toBeInstanceOf(AdmissionAbandoned);
    expect(admission.queued).toBe(1);
    busy.open();
    await Promise.all([first, next]);
    expect(ran).toEqual(['next']);
    expect([admission.active, admission.queued]).toEqual([0, 0]);
  });

  test('a caller already gone is refused at once, even with a free slot', async () => {
    const admission = new Admission(4, 60_000);
    const gone = new AbortController();
    gone.abort();
    await expect(admission.run(async () => 'ran', gone.signal)).rejects.toBeInstanceOf(AdmissionAbandoned);
    expect(admission.active).toBe(0);
  });
});
