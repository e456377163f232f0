import type { QueryInterface } from 'sequelize';
import { ORDER_AMOUNT_SQL, orderAmountReplacements } from '../order-amounts';

/** Settings a migration may need to fill new columns of existing rows. */
export interface MigrationSettings {
  /** CURRENCY: the currency older orders were sold in. */
  currency: string;
}

export interface Migration {
  name: string;
  up: (qi: QueryInterface, settings: MigrationSettings) => Promise<void>;
  down: (qi: QueryInterface) => Promise<void>;
}

const run = async (qi: QueryInterface, statements: string[], replacements?: Record<string, unknown>) => {
  for (const sql of statements) await qi.sequelize.query(sql, replacements ? { replacements } : {});
};

/** Versioned schema changes, applied in order by umzug; never edit one that has shipped. */
export const migrations: Migration[] = [
  {
    name: '0001-initial-schema',
    up: (qi) =>
      run(qi, [
        `CREATE TABLE products (
          id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
          name VARCHAR(255) NOT NULL,
          total_stock INT UNSIGNED NOT NULL,
          available_stock INT NOT NULL,
          price DECIMAL(10,2) NOT NULL,
          created_at DATETIME(3) NOT NULL,
          updated_at DATETIME(3) NOT NULL,
          CONSTRAINT products_available_stock_non_negative CHECK (available_stock >= 0)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
        // Hold ids come from a sequence so the workflow id (hold-<id>) is known before the hold exists.
        `CREATE SEQUENCE hold_ids START WITH 1 INCREMENT BY 1 CACHE 1000 ENGINE=InnoDB`,
        `CREATE TABLE holds (
          id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
          product_id INT UNSIGNED NOT NULL,
          quantity INT UNSIGNED NOT NULL,
          hold_expires_at DATETIME(3) NOT NULL,
          released_at DATETIME(3) NULL,
          used_at DATETIME(3) NULL,
          release_reason VARCHAR(32) NULL,
          created_at DATETIME(3) NOT NULL,
          updated_at DATETIME(3) NOT NULL,
          KEY holds_open_by_expiry (released_at, used_at, hold_expires_at),
          KEY holds_product (product_id),
          CONSTRAINT holds_product_fk FOREIGN KEY (product_id) REFERENCES products (id)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
        `CREATE TABLE orders (
          id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
          hold_id BIGINT UNSIGNED NOT NULL,
          status ENUM('pending','completed','cancelled') NOT NULL DEFAULT 'pending',
          payment_idempotency_key VARCHAR(255) NULL,
          created_at DATETIME(3) NOT NULL,
          updated_at DATETIME(3) NOT NULL,
          UNIQUE KEY orders_one_per_hold (hold_id),
          KEY orders_by_status (status, created_at),
          CONSTRAINT orders_hold_fk FOREIGN KEY (hold_id) REFERENCES holds (id)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
        `CREATE TABLE payment_events (
          id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
          event_id VARCHAR(255) NOT NULL,
          order_id BIGINT UNSIGNED NOT NULL,
          status ENUM('paid','failed') NOT NULL,
          created_at DATETIME(3) NOT NULL,
          UNIQUE KEY payment_events_event_id (event_id),
          KEY payment_events_order (order_id),
          CONSTRAINT payment_events_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
        `CREATE TABLE idempotency_keys (
          scope VARCHAR(32) NOT NULL,
          idempotency_key VARCHAR(255) NOT NULL,
          request_hash CHAR(64) NOT NULL,
          resource_id BIGINT UNSIGNED NULL,
          response_status SMALLINT UNSIGNED NULL,
          response_body MEDIUMTEXT NULL,
          created_at DATETIME(3) NOT NULL,
          PRIMARY KEY (scope, idempotency_key),
          KEY idempotency_keys_created (created_at)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      ]),
    down: (qi) =>
      run(qi, [
        'DROP TABLE idempotency_keys',
        'DROP TABLE payment_events',
        'DROP TABLE orders',
        'DROP TABLE holds',
        'DROP SEQUENCE hold_ids',
        'DROP TABLE products',
      ]),
  },
  {
    // Optional stock shards for a hot product (docs/scaling.md): shard 0 is the product row's own available_stock,
    // shards 1..N-1 are rows here; a product's available stock is their sum. A hold records the shard it took from.
    name: '0002-stock-shards',
    up: (qi) =>
      run(qi, [
        'ALTER TABLE products ADD COLUMN stock_shards SMALLINT UNSIGNED NOT NULL DEFAULT 1',
        'ALTER TABLE holds ADD COLUMN stock_shard SMALLINT UNSIGNED NOT NULL DEFAULT 0',
        `CREATE TABLE stock_shards (
          product_id INT UNSIGNED NOT NULL,
          shard SMALLINT UNSIGNED NOT NULL,
          available INT NOT NULL,
          updated_at DATETIME(3) NOT NULL,
          PRIMARY KEY (product_id, shard),
          CONSTRAINT stock_shards_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
          CONSTRAINT stock_shards_available_non_negative CHECK (available >= 0)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
      ]),
    down: (qi) =>
      run(qi, [
        'DROP TABLE stock_shards',
        'ALTER TABLE holds DROP COLUMN stock_shard',
        'ALTER TABLE products DROP COLUMN stock_shards',
      ]),
  },
  {
    // The order's whole life (issue 13): late payment events are recorded beside the on-time ones (the unique event id
    // still guards replays) and may leave a refund owed; a hold counts the seconds it was extended by; each outbound
    // event's delivery is recorded so every API replica's /metrics reports the same figures.
    name: '0003-order-life',
    up: (qi) =>
      run(qi, [
        'ALTER TABLE payment_events ADD COLUMN late TINYINT(1) NOT NULL DEFAULT 0',
        `ALTER TABLE orders ADD COLUMN refund_due_at DATETIME(3) NULL, ADD COLUMN refunded_at DATETIME(3) NULL,
           ADD KEY orders_refund_due (refund_due_at, refunded_at)`,
        'ALTER TABLE holds ADD COLUMN extended_seconds INT UNSIGNED NOT NULL DEFAULT 0',
        `CREATE TABLE event_deliveries (
          event_id VARCHAR(400) NOT NULL PRIMARY KEY,
          type VARCHAR(32) NOT NULL,
          status ENUM('retrying','delivered','undeliverable') NOT NULL,
          attempts INT UNSIGNED NOT NULL,
          last_error VARCHAR(255) NULL,
          updated_at DATETIME(3) NOT NULL,
          KEY event_deliveries_status (status)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      ]),
    down: (qi) =>
      run(qi, [
        'DROP TABLE event_deliveries',
        'ALTER TABLE holds DROP COLUMN extended_seconds',
        'ALTER TABLE orders DROP KEY orders_refund_due, DROP COLUMN refunded_at, DROP COLUMN refund_due_at',
        'ALTER TABLE payment_events DROP COLUMN late',
      ]),
  },
  {
    // Customers and purchase limits (docs/integration.md). customer_id is the shop's own id, compared byte for byte.
    // A product's max_per_customer bounds a customer's unreleased units; the reservation serialises one customer's
    // holds of a limited product on their row in customer_limit_locks (src/db/reserve-batch.ts).
    name: '0004-customers',
    up: (qi) =>
      run(qi, [
        'ALTER TABLE products ADD COLUMN max_per_customer INT UNSIGNED NULL',
        `ALTER TABLE holds ADD COLUMN customer_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
          ADD KEY holds_customer (customer_id, product_id)`,
        `ALTER TABLE orders ADD COLUMN customer_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
          ADD KEY orders_customer (customer_id)`,
        `CREATE TABLE customer_limit_locks (
          product_id INT UNSIGNED NOT NULL,
          customer_id VARCHAR(255) NOT NULL,
          PRIMARY KEY (product_id, customer_id)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      ]),
    down: (qi) =>
      run(qi, [
        'DROP TABLE customer_limit_locks',
        'ALTER TABLE orders DROP KEY orders_customer, DROP COLUMN customer_id',
        'ALTER TABLE holds DROP KEY holds_customer, DROP COLUMN customer_id',
        'ALTER TABLE products DROP COLUMN max_per_customer',
      ]),
  },
  {
    // A hold whose caller was answered without it (the API's deadline passed first: a 503) is abandoned: its tombstone
    // bars a reservation that has not committed yet (src/db/abandoned-holds.ts). hold_id is holds.id's type; no
    // foreign key, the hold usually never exists. The sweep deletes tombstones older than a day.
    name: '0005-abandoned-holds',
    up: (qi) =>
      run(qi, [
        `CREATE TABLE abandoned_holds (
          hold_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
          abandoned_at DATETIME(3) NOT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
      ]),
    down: (qi) => run(qi, ['DROP TABLE abandoned_holds']),
  },
  {
    // Exact amounts (docs/api.md): what an order costs, in its currency's minor units, fixed when it is created. Older
    // orders are filled in from their hold and their product's price now (the price they were sold at was not kept),
    // in the currency the service runs with; then both columns are required.
    name: '0006-order-amounts',
    up: (qi, settings) =>
      run(
        qi,
        [
          'ALTER TABLE orders ADD COLUMN amount BIGINT UNSIGNED NULL, ADD COLUMN currency CHAR(3) NULL',
          `UPDATE orders o JOIN holds h ON h.id = o.hold_id JOIN products p ON p.id = h.product_id
             SET o.amount = ${ORDER_AMOUNT_SQL}, o.currency = :currency`,
          'ALTER TABLE orders MODIFY amount BIGINT UNSIGNED NOT NULL, MODIFY currency CHAR(3) NOT NULL',
        ],
        orderAmountReplacements(settings.currency),
      ),
    down: (qi) => run(qi, ['ALTER TABLE orders DROP COLUMN currency, DROP COLUMN amount']),
  },
];
