import { QueryTypes, type Sequelize } from 'sequelize';
import { sqlTime } from './time';
import { selectOne } from './transitions';

/** One Idempotency-Key's record: the request it was first used with, and the final answer once there is one. */
export interface IdempotencyKeyRow {
  request_hash: string;
  resource_id: number | null;
  response_status: number | null;
  response_body: string | null;
  created_at: Date;
}

/** The `idempotency_keys` table, per scope (`holds`, `orders`) and key. */
export function createIdempotencyKeys(db: Sequelize) {
  return {
    find: (scope: string, key: string) =>
      selectOne<IdempotencyKeyRow>(
        db,
        'SELECT request_hash, resource_id, response_status, response_body, created_at FROM idempotency_keys WHERE scope = :scope AND idempotency_key = :key',
        { scope, key },
      ),

    /** Drops an expired record, only if it is still the one read (its created_at). */
    async forget(scope: string, key: string, createdAt: Date): Promise<void> {
      await db.query(
        'DELETE FROM idempotency_keys WHERE scope = :scope AND idempotency_key = :key AND created_at = :created',
        { replacements: { scope, key, created: sqlTime(new Date(createdAt)) } },
      );
    },

    /** Records the key's first use; a concurrent first use keeps its own record (INSERT IGNORE). */
    async claim(scope: string, key: string, hash: string, resourceId: number): Promise<void> {
      await db.query(
        `INSERT IGNORE INTO idempotency_keys (scope, idempotency_key, request_hash, resource_id, created_at)
         VALUES (:scope, :key, :hash, :resourceId, :now)`,
        { replacements: { scope, key, hash, resourceId, now: sqlTime(new Date()) }, type: QueryTypes.INSERT },
      );
    },

    /** Keeps the first final answer: one already stored is left as it is. */
    async storeAnswer(scope: string, key: string, status: number, body: string): Promise<void> {
      await db.query(
        `UPDATE idempotency_keys SET response_status = :status, response_body = :body
         WHERE scope = :scope AND idempotency_key = :key AND response_status IS NULL`,
        { replacements: { status, body, scope, key } },
      );
    },
  };
}

export type IdempotencyKeys = ReturnType<typeof createIdempotencyKeys>;
