import { parseArgs } from 'node:util';
import { startReceiver } from '../events/receiver';
import { UsageError, runCli } from './common';

const USAGE = `usage: npm run listen -- [--port <port>] [--host <address>]

The receiving end of the service's outbound events for development (like \`stripe listen\`): point the service's
EVENTS_URL at http://127.0.0.1:<port>/ and give both the same EVENTS_SECRET. Each POST's X-Signature
(t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">) is verified (a bad one answers 401, so the service retries),
and each event is printed on one line: <created_at> <type> <id> <data>, with "(duplicate)" for a redelivery.
  --port  where to listen (default 4242)
  --host  the address to bind (default 127.0.0.1)
`;

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = Number(values.port ?? 4242);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number`);
  if (!env.EVENTS_SECRET) throw new UsageError('EVENTS_SECRET is not set (the service signs events with it)');
  const receiver = await startReceiver({
    port,
    host: values.host,
    secret: env.EVENTS_SECRET,
    onEvent: ({ event, duplicate }) =>
      process.stdout.write(
        `${event.created_at} ${event.type} ${event.id} ${JSON.stringify(event.data)}${duplicate ? ' (duplicate)' : ''}\n`,
      ),
    onRejected: (reason) => process.stderr.write(`rejected: ${reason}\n`),
  });
  process.stderr.write(`listening for events on http://${values.host ?? '127.0.0.1'}:${receiver.port}/\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await receiver.close();
  return 0;
}

runCli(USAGE, () => main(process.argv.slice(2), process.env));
