import { createServer, type Server } from 'node:net';
import { TemporalUnavailable } from '../../src/temporal/call-errors';
import { Reachability } from '../../src/temporal/reachability';

/** A call waiting on a Temporal that refuses connections is failed in about a second, not after its deadline. */
const never = new Promise<never>(() => undefined);

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

test('a frontend that refuses connections fails the waiting call soon after the first second', async () => {
  const { server, port } = await listening();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const started = Date.now();
  await expect(new Reachability('127.0.0.1', port).guard(never)).rejects.toBeInstanceOf(TemporalUnavailable);
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('a frontend that accepts connections leaves the call to its own answer', async () => {
  const { server, port } = await listening();
  try {
    const slow = new Promise((resolve) => setTimeout(() => resolve('answered'), 1_800));
    await expect(Reachability.of(`127.0.0.1:${port}`).guard(slow)).resolves.toBe('answered');
  } finally {
    server.close();
  }
});

test('calls waiting together share one ticker, which stops when the last one is answered', async () => {
  jest.useFakeTimers();
  try {
    const reachability = new Reachability('127.0.0.1', 1);
    const resolvers: ((answer: string) => void)[] = [];
    const guarded = Array.from({ length: 100 }, () =>
      reachability.guard(new Promise<string>((resolve) => resolvers.push(resolve))),
    );
    expect(jest.getTimerCount()).toBe(1);
    resolvers.forEach((resolve, i) => resolve(`answer ${i}`));
    await expect(Promise.all(guarded)).resolves.toHaveLength(100);
    expect(jest.getTimerCount()).toBe(0);
  } finally {
    jest.useRealTimers();
  }
});
