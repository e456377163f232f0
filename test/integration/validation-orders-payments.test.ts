import { QueryTypes } from 'sequelize';
import { availableStock, createProduct, expectConserved } from '../../harness/fixtures';
import { atLeast1, integer, invalid, missing, notIntegers } from './support/validation';
import { refusalsOf, required, UNKNOWN_ID } from './support/validation';
import { newEventId, pendingOrder } from './support/purchase';
import { countRows } from './support/rows';
import { holdOf, useStack } from './support/stack';

/** The validation of POST /api/orders and of the payment webhook that settles an order: 422s that change nothing. */
// Long enough that nothing expires or times out while a file of checks runs.
const stack = useStack({ HOLD_TTL_SECONDS: '60', PAYMENT_TIMEOUT_SECONDS: '60' });

describe('POST /api/orders', () => {
  let productId: number;
  let holdId: number;
  const state = async () => ({
    orders: await countRows(stack.db, 'SELECT COUNT(*) AS n FROM orders WHERE hold_id = ?', holdId),
    used: await countRows(stack.db, 'SELECT COUNT(*) AS n FROM holds WHERE id = ? AND used_at IS NOT NULL', holdId),
    available: await availableStock(stack.db, productId),
  });
  const { refused } = refusalsOf(() => stack.http, '/api/orders', state);

  beforeAll(async () => {
    productId = await createProduct(stack, 10);
    holdId = (await holdOf(stack, productId, 2)).hold_id;
  });
  afterAll(async () => {
    await stack.http.post(`/api/holds/${holdId}/release`);
  });

  test.each(missing)('hold_id %s is required', async (_, value) => {
    await refused({ hold_id: value }, { hold_id: [required('hold id')] });
  });

  test.each(notIntegers)('hold_id %s must be an integer', async (_, value) => {
    await refused({ hold_id: value }, { hold_id: [integer('hold id')] });
  });

  test.each([
    ['0', 0],
    ['-1', -1],
  ])('hold_id %s must be at least 1', async (_, value) => {
    await refused({ hold_id: value }, { hold_id: [atLeast1('hold id')] });
  });

  test('an unknown hold is a 422 on hold_id', async () => {
    for (const value of [UNKNOWN_ID, String(UNKNOWN_ID)])
      await refused({ hold_id: value }, { hold_id: [invalid('hold id')] });
  });
});

describe('POST /api/payments/webhook', () => {
  let productId: number;
  let orderId: number;
  const state = async () => ({
    status: (
      await stack.db.query<{ status: string }>('SELECT status FROM orders WHERE id = ?', {
        replacements: [orderId],
        type: QueryTypes.SELECT,
      })
    )[0].status,
    events: await countRows(stack.db, 'SELECT COUNT(*) AS n FROM payment_events WHERE order_id = ?', orderId),
    available: await availableStock(stack.db, productId),
  });
  // Every refusal finds the order pending, unpaid, its units held, and leaves it so.
  const { refused } = refusalsOf(() => stack.http, '/api/payments/webhook', state, {
    status: 'pending',
    events: 0,
    available: 7,
  });
  const body = (over: Record<string, unknown>) => ({
    event_id: newEventId(),
    order_id: orderId,
    status: 'failed',
    ...over,
  });

  beforeAll(async () => {
    ({ productId, orderId } = await pendingOrder(stack, 10, 3));
  });

  test('an empty body: three fields required, "(and 2 more errors)"', async () => {
    const res = await refused(
      {},
      { event_id: [required('event id')], order_id: [required('order id')], status: [required('status')] },
    );
    expect(res.body.message).toBe('The event id field is required. (and 2 more errors)');
  });

  test.each(missing)('event_id %s is required', async (_, value) => {
    await refused(body({ event_id: value }), { event_id: [required('event id')] });
  });

  test.each([
    ['a number', 123],
    ['true', true],
    ['an array', ['evt']],
    ['an object', { id: 'evt' }],
  ])('event_id %s must be a string', async (_, value) => {
    await refused(body({ event_id: value }), { event_id: ['The event id field must be a string.'] });
  });

  test('event_id longer than 255 characters', async () => {
    await refused(body({ event_id: 'e'.repeat(256) }), {
      event_id: ['The event id field must not be greater than 255 characters.'],
    });
  });

  test.each([
    ['"PAID"', 'PAID'],
    ['"completed"', 'completed'],
    ['"refunded"', 'refunded'],
    ['1', 1],
    ['true', true],
    ['["paid"]', ['paid']],
  ])('status %s: "The selected status is invalid."', async (_, value) => {
    await refused(body({ status: value }), { status: [invalid('status')] });
  });

  test.each(missing)('status %s is required', async (_, value) => {
    await refused(body({ status: value }), { status: [required('status')] });
  });

  test.each(notIntegers)('order_id %s must be an integer', async (_, value) => {
    await refused(body({ order_id: value }), { order_id: [integer('order id')] });
  });

  test('an unknown order is a 422 on order_id', async () => {
    for (const value of [UNKNOWN_ID, String(UNKNOWN_ID)])
      await refused(body({ order_id: value }), { order_id: [invalid('order id')] });
  });

  test('every field wrong: in contract order, "(and 2 more errors)"', async () => {
    await refused(
      { status: 'ok', order_id: 'x', event_id: 5 },
      {
        event_id: ['The event id field must be a string.'],
        order_id: [integer('order id')],
        status: [invalid('status')],
      },
    );
  });

  // Last in this block: it settles the order (and ends its workflow).
  test('a numeric-string order_id is accepted, extra fields ignored', async () => {
    const res = await stack.http.post(
      '/api/payments/webhook',
      body({ order_id: String(orderId), status: 'paid', amount: -1, order_status: 'cancelled' }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'success',
      message: 'Payment processed',
      data: { order_id: orderId, status: 'completed' },
    });
    expect(await state()).toEqual({ status: 'completed', events: 1, available: 7 });
    await expectConserved(stack.db, productId, 10);
  });
});
