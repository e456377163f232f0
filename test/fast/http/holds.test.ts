import { ApplicationFailure } from '@temporalio/common';
import { TemporalUnavailable, WorkflowClosed, WorkflowRefusal } from '../../../src/temporal/holds';
import { FailureType } from '../../../src/shared/types';
import { holdRow, stubApi, type Api, type Stub } from './stub-api';

let api: Api;
let stub: Stub;

beforeEach(async () => ({ stub, api } = await stubApi()));
afterEach(() => api.close());

const heldView = (id: number) => ({
  id,
  product_id: 1,
  quantity: 2,
  hold_expires_at: '2026-11-24T10:02:00.000Z',
  released_at: null,
  used_at: null,
  created_at: '2026-11-24T10:00:00.000Z',
  updated_at: '2026-11-24T10:00:00.000Z',
});
const refusal = (type: string, details: unknown[] = []) => new WorkflowRefusal(type, details);

describe('POST /api/holds', () => {
  test('a hold: 201 in the success envelope, the reservation asked with a fresh hold id', async () => {
    stub.holds.reserve.mockImplementation(async ({ holdId }: { holdId: number }) => heldView(holdId));
    const res = await api.request('POST', '/api/holds', { body: { product_id: 1, quantity: '2' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      status: 'success',
      timestamp: expect.any(String),
      data: { hold_id: 1000, hold_expires_at: '2026-11-24T10:02:00.000Z' },
    });
    expect(stub.holds.reserve).toHaveBeenCalledWith(
      { holdId: 1000, productId: 1, quantity: 2 },
      expect.objectContaining({ afterQueue: expect.any(Function) }),
    );
  });

  test("422 in Laravel's words, every field, first message counted", async () => {
    const res = await api.request('POST', '/api/holds', { body: { quantity: 0 } });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      code: 'validation_failed',
      message: 'The product id field is required. (and 1 more error)',
      errors: {
        product_id: ['The product id field is required.'],
        quantity: ['The quantity field must be at least 1.'],
      },
    });
    const typed = await api.request('POST', '/api/holds', { body: { product_id: 'abc', quantity: 1.5 } });
    expect(typed.body.errors).toEqual({
      product_id: ['The product id field must be an integer.'],
      quantity: ['The quantity field must be an integer.'],
    });
    expect(stub.holds.reserve).not.toHaveBeenCalled();
  });

  test('an unknown product is a 422 on product_id, before any workflow', async () => {
    const res = await api.request('POST', '/api/holds', { body: { product_id: 99, quantity: 1 } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({ product_id: ['The selected product id is invalid.'] });
    expect(stub.holds.reserve).not.toHaveBeenCalled();
  });

  test('the reservation refused for stock: 400 naming what is left', async () => {
    stub.holds.reserve.mockRejectedValue(refusal(FailureType.InsufficientStock, [{ available: 2 }]));
    const res = await api.request('POST', '/api/holds', { body: { product_id: 1, quantity: 5 } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      status: 'error',
      code: 'insufficient_stock',
      message: 'Insufficient stock available. Only 2 units remaining.',
      timestamp: expect.any(String),
    });
  });

  test.each([
    ['the reservation ran out of retries', refusal(FailureType.ReservationFailed)],
    ['Temporal did not answer in time', new TemporalUnavailable('deadline')],
  ])('%s: 503 with Retry-After, nothing internal in the body', async (_, err) => {
    stub.holds.reserve.mockRejectedValue(err);
    const res = await api.request('POST', '/api/holds', { body: { product_id: 1, quantity: 1 } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.body.message).toBe('Service temporarily unavailable');
  });

  test('a product gone by the time of the reservation: 422, as if it had never existed', async () => {
    stub.holds.reserve.mockRejectedValue(refusal(FailureType.UnknownProduct));
    const res = await api.request('POST', '/api/holds', { body: { product_id: 1, quantity: 1 } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({ product_id: ['The selected product id is invalid.'] });
  });

  test('an unexpected failure: 500 with the generic message only', async () => {
    stub.holds.reserve.mockRejectedValue(ApplicationFailure.create({ message: 'secret internals' }));
    const res = await api.request('POST', '/api/holds', { body: { product_id: 1, quantity: 1 } });
    expect(res.status).toBe(500);
    expect(res.body.message).toBe('Internal server error');
    expect(JSON.stringify(res.body)).not.toContain('secret');
  });
});

describe('the sold-out gate', () => {
  const gate = (available: number | null, others = 0, admitted = false) => ({
    admitted,
    available,
    epoch: '7',
    others,
  });

  test('sold out per the gate and per the committed stock: 400 without Temporal', async () => {
    stub.cache.checkUnits.mockResolvedValue(gate(0));
    stub.models.Product.rows.get(1)!.available_stock = 0;
    const res = await api.request('POST', '/api/holds', { body: { product_id: 1, quantity: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Insufficient stock available. Only 0 units remaining.');
    expect(stub.holds.reserve).not.toHaveBeenCalled();
  });

  test('every unit being reserved: 400 at once, naming the units no one is reserving', async () => {
    stub.cache.checkUnits.mockResolvedValue(gate(5, 4));
    stub.cache.reservingMembers.mockResolvedValue([{ holdId: 1, quantity: 4 }]);
    stub.models.Product.rows.get(1)!.available_stock = 5;
    const res = await api.request('POST', '/api/holds', { body: { product_id: 1, quantity: 2 } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Insufficient stock available. Only 1 units remaining.');
    expect(stub.holds.reserve).not.toHaveBeenCalled();
  });

  test('a hold let through counts its units until its outcome, then gives them up', async () => {
    stub.cache.checkUnits.mockResolvedValue(gate(5, 0, true));
    stub.holds.reserve.mockImplementation(async ({ holdId }: { holdId: number }) => heldView(holdId));
    const res = await api.request('POST', '/api/holds', { body: { product_id: 1, quantity: 2 } });
    expect(res.status).toBe(201);
    const holdId = res.body.data.hold_id as number;
    expect(stub.cache.checkUnits).toHaveBeenCalledWith(1, 2, holdId, 'claim', expect.any(Number));
    expect(stub.cache.releaseUnits).toHaveBeenCalledWith(1, holdId, 2);
  });

  test('a gate the database contradicts is dropped and the reservation goes ahead', async () => {
    stub.cache.checkUnits.mockResolvedValue(gate(0));
    stub.holds.reserve.mockImplementation(async ({ holdId }: { holdId: number }) => heldView(holdId));
    const res = await api.request('POST', '/api/holds', { body: { product_id: 1, quantity: 3 } });
    expect(res.status).toBe(201);
    expect(stub.cache.invalidate).toHaveBeenCalledWith([1]);
    expect(stub.holds.reserve).toHaveBeenCalledWith(
      { holdId: expect.any(Number), productId: 1, quantity: 3, gateEpoch: '7' },
      expect.objectContaining({ afterQueue: expect.any(Function) }),
    );
  });
});

describe('holds by id', () => {
  const future = new Date(Date.now() + 60_000);

  test('GET: the hold as stored; non-canonical ids are 404 without a lookup', async () => {
    stub.models.Hold.rows.set(5, holdRow(5, { expiresAt: future }));
    const res = await api.request('GET', '/api/holds/5');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 5, product_id: 1, released_at: null });
    for (const id of ['05', '5abc', '-5']) {
      expect((await api.request('GET', `/api/holds/${id}`)).body.message).toBe('Hold not found');
    }
    expect(stub.models.Hold.findByPk).toHaveBeenCalledTimes(1);
  });

  test('release of an ordered hold: refused from the database, its workflow not asked', async () => {
    stub.models.Hold.rows.set(6, holdRow(6, { expiresAt: future, used: true }));
    const res = await api.request('POST', '/api/holds/6/release');
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Cannot release: Hold is already associated with an order');
    expect(stub.holds.release).not.toHaveBeenCalled();
  });

  test('release while the workflow has just closed: the database says why', async () => {
    stub.models.Hold.rows.set(7, holdRow(7, { expiresAt: future }));
    stub.holds.release.mockImplementation(async () => {
      stub.models.Hold.rows.set(7, holdRow(7, { expiresAt: future, used: true }));
      throw new WorkflowClosed('closed');
    });
    const res = await api.request('POST', '/api/holds/7/release');
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Cannot release: Hold is already associated with an order');
  });

  test('release: 200 with the released hold', async () => {
    stub.models.Hold.rows.set(8, holdRow(8, { expiresAt: future }));
    stub.holds.release.mockResolvedValue({ ...heldView(8), released_at: '2026-11-24T10:01:00.000Z' });
    const res = await api.request('POST', '/api/holds/8/release');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'success', data: { id: 8, released_at: '2026-11-24T10:01:00.000Z' } });
  });
});
