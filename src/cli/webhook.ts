import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { signPayload } from '../signature';
import { apiBaseUrl, positiveId, postJson, printReply, required, runCli, UsageError } from './common';

const USAGE = `usage: npm run webhook -- --order <id> --status paid|failed [--event <event id>] [--url <api base url>]

Sends a payment webhook to POST /api/payments/webhook, signed with WEBHOOK_SECRET when it is set
(header X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">), and prints the answer.
  --order   the order id
  --status  paid or failed
  --event   the payment event id (default: evt_<random>); send the same one again to replay it
  --url     the API base URL (default: $API_URL or http://127.0.0.1:8000)
Exit code: 0 for a 2xx answer, 1 otherwise, 2 for a usage error.
`;

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      order: { type: 'string' },
      status: { type: 'string' },
      event: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const orderId = positiveId('order', values.order);
  const status = required('status', values.status);
  if (status !== 'paid' && status !== 'failed')
    throw new UsageError(`--status must be paid or failed, got "${status}"`);
  const eventId = values.event ?? `evt_${randomUUID().replace(/-/g, '')}`;
  const url = `${apiBaseUrl(values.url, env)}/api/payments/webhook`;

  // The signature covers these exact bytes: sign the string that is sent.
  const rawBody = JSON.stringify({ event_id: eventId, order_id: orderId, status });
  const headers: Record<string, string> = {};
  if (env.WEBHOOK_SECRET) {
    headers['X-Signature'] = signPayload(env.WEBHOOK_SECRET, rawBody);
  } else {
    process.stderr.write('note: WEBHOOK_SECRET is not set; sending an unsigned webhook\n');
  }
  process.stderr.write(`POST ${url} ${rawBody}\n`);
  const reply = await postJson(url, rawBody, headers);
  printReply(reply);
  return reply.status >= 200 && reply.status < 300 ? 0 : 1;
}

runCli(USAGE, () => main(process.argv.slice(2), process.env));
