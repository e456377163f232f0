import { WorkflowRefusal } from '../../../src/temporal/holds';
import { FailureType } from '../../../src/shared/types';
import { holdRow, stubApi, type Api, type Stub } from './stub-api';

let api: Api;
let stub: Stub;

beforeEach(async () => ({ stub, api } = await stubApi()));
afterEach(() => api.close());

const future = () => new Date(Date.now() + 60_000);
const order = {
  id: 3,
  hold_id: 1,
  status: 'pending' as const,
  payment_idempotency_key: null,
  refund_due: false,
  amount: 5997,
  currency: 'usd',
  created_at: '2026-11-24T10:01:00.000Z',
  updated_at: '2026-11-24T10:01:00.000Z',
};

test('an order on a held hold: 201 with the pending order', async () => {
  stub.models.Hold.rows.set(1, holdRow(1, { expiresAt: future() }));
  stub.holds.placeOrder.mockResolvedValue(order);
  const res = await api.request('POST', '/api/orders', { body: { hold_id: 1 } });
  expect(res.status).toBe(201);
  expect(res.body.data).toEqual({
    id: 3,
    hold_id: 1,
    status: 'pending',
    amount: 5997,
    currency: 'usd',
    created_at: order.created_at,
    updated_at: order.updated_at,
  });
});

test.each([
  ['expired (even once released)', { expiresAt: new Date(Date.now() - 1_000), released: true }, 'Hold has expired'],
  ['released', { expiresAt: future(), released: true }, 'Hold has been released'],
  ['already ordered', { expiresAt: future(), used: true }, 'Hold is already associated with an order'],
])('a hold %s is refused from the database, in that order, without its workflow', async (_, facts, message) => {
  stub.models.Hold.rows.set(1, holdRow(1, facts));
  const res = await api.request('POST', '/api/orders', { body: { hold_id: 1 } });
  expect(res.status).toBe(400);
  expect(res.body.message).toBe(`Cannot create order: ${message}`);
  expect(stub.holds.placeOrder).not.toHaveBeenCalled();
});

test("the workflow's refusal is answered in the same words", async () => {
  stub.models.Hold.rows.set(1, holdRow(1, { expiresAt: future() }));
  stub.holds.placeOrder.mockRejectedValue(new WorkflowRefusal(FailureType.HoldUsed, []));
  const res = await api.request('POST', '/api/orders', { body: { hold_id: 1 } });
  expect(res.status).toBe(400);
  expect(res.body.message).toBe('Cannot create order: Hold is already associated with an order');
});

test('an unknown hold is a 422 on hold_id', async () => {
  const res = await api.request('POST', '/api/orders', { body: { hold_id: 42 } });
  expect(res.status).toBe(422);
  expect(res.body.errors).toEqual({ hold_id: ['The selected hold id is invalid.'] });
});

test('a malformed Idempotency-Key is a 422 on idempotency_key', async () => {
  stub.models.Hold.rows.set(1, holdRow(1, { expiresAt: future() }));
  const res = await api.request('POST', '/api/orders', {
    body: { hold_id: 1 },
    headers: { 'Idempotency-Key': 'x'.repeat(256) },
  });
  expect(res.status).toBe(422);
  expect(Object.keys(res.body.errors)).toEqual(['idempotency_key']);
});
