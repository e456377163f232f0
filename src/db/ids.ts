import { QueryTypes, type Sequelize } from 'sequelize';

/** A fresh hold id from the database sequence, known before the hold's workflow starts. */
export async function nextHoldId(db: Sequelize): Promise<number> {
  const [row] = await db.query<{ id: number | string }>('SELECT NEXTVAL(hold_ids) AS id', { type: QueryTypes.SELECT });
  return Number(row.id);
}

/**
 * Hold ids taken from the sequence a block at a time: one round trip (`NEXTVAL` over MariaDB's `seq_1_to_N`
 * sequence-engine table) serves `blockSize` holds. Ids stay unique across processes; a process that stops leaves
 * the rest of its block unused (gaps, as the sequence's own cache already allows). `blockSize` 1 is one
 * `NEXTVAL` per hold.
 */
export function createHoldIdAllocator(db: Sequelize, blockSize: number): () => Promise<number> {
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new Error(`bad hold id block size ${blockSize}`);
  if (blockSize === 1) return () => nextHoldId(db);
  const ready: number[] = [];
  let refill: Promise<void> | null = null;

  const fetchBlock = async () => {
    try {
      const rows = await db.query<{ id: number | string }>(
        `SELECT NEXTVAL(hold_ids) AS id FROM seq_1_to_${blockSize}`,
        { type: QueryTypes.SELECT },
      );
      if (rows.length === 0) throw new Error('hold id sequence returned no ids');
      for (const r of rows) ready.push(Number(r.id));
    } finally {
      refill = null;
    }
  };

  return async function next(): Promise<number> {
    for (;;) {
      const id = ready.shift();
      if (id !== undefined) return id;
      refill ??= fetchBlock();
      await refill;
    }
  };
}
