import { parseArgs } from 'node:util';
import { apiBaseUrl, jsonValue, positiveId, postJson, printReply, required, runCli, UsageError } from './common';

const USAGE = `usage: npm run admin -- <command> [options] [--url <api base url>]

  product:create  --name <name> --stock <total stock> --price <price> [--available <available stock>]
                  [--max-per-customer <units>]
  product:limit   --id <product id> --max-per-customer <units|none>   (units one customer may hold or buy)
  product:restock --id <product id> --quantity <units>
  product:shard   --id <product id> --shards <1-64>   (spread a hot product's stock over shard rows)
  hold:release    --id <hold id>
  hold:extend     --id <hold id> --seconds <n>   (needs HOLD_MAX_EXTENSION_SECONDS on the service)
  order:refunded  <order id>                     (the late payment's money is back with the customer)

product:* and order:* commands call the admin API with Authorization: Bearer $ADMIN_TOKEN; hold:* commands send
Authorization: Bearer $API_KEY (or the first of $API_KEYS) when one is set, and --customer <id> as customer_id.
--url defaults to $API_URL or http://127.0.0.1:8000.
Exit code: 0 for a 2xx answer, 1 otherwise, 2 for a usage error.
`;

interface Call {
  path: string;
  body: Record<string, unknown>;
  admin: boolean;
  method?: 'PUT' | 'PATCH';
}

type Options = Partial<
  Record<
    | 'name'
    | 'stock'
    | 'price'
    | 'available'
    | 'id'
    | 'quantity'
    | 'shards'
    | 'seconds'
    | 'max-per-customer'
    | 'customer',
    string
  >
>;

function plan(command: string | undefined, o: Options): Call {
  switch (command) {
    case 'product:create': {
      const body: Record<string, unknown> = {
        name: required('name', o.name),
        total_stock: jsonValue(required('stock', o.stock)),
        price: jsonValue(required('price', o.price)),
      };
      if (o.available !== undefined) body.available_stock = jsonValue(o.available);
      if (o['max-per-customer'] !== undefined) body.max_per_customer = jsonValue(o['max-per-customer']);
      return { path: '/api/admin/products', body, admin: true };
    }
    case 'product:limit': {
      const max = required('max-per-customer', o['max-per-customer']);
      return {
        path: `/api/admin/products/${positiveId('id', o.id)}`,
        body: { max_per_customer: max === 'none' ? null : jsonValue(max) },
        admin: true,
        method: 'PATCH',
      };
    }
    case 'product:restock':
      return {
        path: `/api/admin/products/${positiveId('id', o.id)}/restock`,
        body: { quantity: jsonValue(required('quantity', o.quantity)) },
        admin: true,
      };
    case 'product:shard':
      return {
        path: `/api/admin/products/${positiveId('id', o.id)}/stock-shards`,
        body: { shards: jsonValue(required('shards', o.shards)) },
        admin: true,
        method: 'PUT',
      };
    case 'hold:release':
      return {
        path: `/api/holds/${positiveId('id', o.id)}/release`,
        body: o.customer === undefined ? {} : { customer_id: o.customer },
        admin: false,
      };
    case 'hold:extend':
      return {
        path: `/api/holds/${positiveId('id', o.id)}/extend`,
        body: {
          seconds: jsonValue(required('seconds', o.seconds)),
          ...(o.customer === undefined ? {} : { customer_id: o.customer }),
        },
        admin: false,
      };
    case 'order:refunded':
      return { path: `/api/admin/orders/${positiveId('id', o.id)}/refunded`, body: {}, admin: true };
    case undefined:
      throw new UsageError('a command is required');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string' },
      stock: { type: 'string' },
      price: { type: 'string' },
      available: { type: 'string' },
      id: { type: 'string' },
      quantity: { type: 'string' },
      shards: { type: 'string' },
      seconds: { type: 'string' },
      'max-per-customer': { type: 'string' },
      customer: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // `order:refunded <id>` takes its id as a plain argument too.
  const [command, id, ...rest] = positionals;
  if (
    rest.length > 0 ||
    (id !== undefined && values.id !== undefined) ||
    (id !== undefined && !/^order:/.test(command))
  ) {
    throw new UsageError(`one command at a time, got: ${positionals.join(' ')}`);
  }
  const call = plan(command, { ...values, id: values.id ?? id });
  const headers: Record<string, string> = {};
  if (call.admin) {
    if (!env.ADMIN_TOKEN) throw new UsageError('ADMIN_TOKEN is not set (the admin API needs it)');
    headers.Authorization = `Bearer ${env.ADMIN_TOKEN}`;
  } else {
    // The shop's API key, when the service has keys (holds need one then).
    const key = env.API_KEY || env.API_KEYS?.split(',')[0]?.trim();
    if (key) headers.Authorization = `Bearer ${key}`;
  }
  const reply = await postJson(
    apiBaseUrl(values.url, env) + call.path,
    JSON.stringify(call.body),
    headers,
    call.method,
  );
  printReply(reply);
  return reply.status >= 200 && reply.status < 300 ? 0 : 1;
}

runCli(USAGE, () => main(process.argv.slice(2), process.env));
