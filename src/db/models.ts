import {
  DataTypes,
  Model,
  literal,
  type InferAttributes,
  type InferCreationAttributes,
  type CreationOptional,
  type Sequelize,
} from 'sequelize';

export class Product extends Model<InferAttributes<Product>, InferCreationAttributes<Product>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare total_stock: number;
  declare available_stock: number;
  declare price: string;
  declare max_per_customer: CreationOptional<number | null>;
  declare created_at: CreationOptional<Date>;
  declare updated_at: CreationOptional<Date>;
}

export class Hold extends Model<InferAttributes<Hold>, InferCreationAttributes<Hold>> {
  declare id: number;
  declare product_id: number;
  declare quantity: number;
  declare customer_id: CreationOptional<string | null>;
  declare hold_expires_at: Date;
  declare released_at: Date | null;
  declare used_at: Date | null;
  declare release_reason: string | null;
  declare created_at: CreationOptional<Date>;
  declare updated_at: CreationOptional<Date>;
}

export class Order extends Model<InferAttributes<Order>, InferCreationAttributes<Order>> {
  declare id: CreationOptional<number>;
  declare hold_id: number;
  declare status: 'pending' | 'completed' | 'cancelled';
  declare payment_idempotency_key: string | null;
  declare refund_due_at: CreationOptional<Date | null>;
  declare refunded_at: CreationOptional<Date | null>;
  declare customer_id: CreationOptional<string | null>;
  /** In the currency's minor units (src/shared/money.ts), fixed when the order is created. */
  declare amount: number;
  declare currency: string;
  declare created_at: CreationOptional<Date>;
  declare updated_at: CreationOptional<Date>;
}

export interface Models {
  Product: typeof Product;
  Hold: typeof Hold;
  Order: typeof Order;
}

const timestamps = {
  created_at: { type: DataTypes.DATE(3), allowNull: false },
  updated_at: { type: DataTypes.DATE(3), allowNull: false },
};
const options = { underscored: true, timestamps: true, createdAt: 'created_at', updatedAt: 'updated_at' } as const;

/** A product's available stock in SQL: its own row plus its stock shard rows (0 for an unsharded product). */
export const availableStockSql = (product: string) =>
  `(${product}.available_stock + (SELECT COALESCE(SUM(s.available), 0) FROM stock_shards s WHERE s.product_id = ${product}.id))`;

/** Models serve reads and admin writes; the stock transitions are explicit locked SQL (see activities). */
export function defineModels(sequelize: Sequelize): Models {
  // Subclasses per connection: init() binds a class to one Sequelize instance, and tests run several.
  const ProductModel = class extends Product {};
  const HoldModel = class extends Hold {};
  const OrderModel = class extends Order {};
  ProductModel.init(
    {
      id: { type: DataTypes.INTEGER.UNSIGNED, autoIncrement: true, primaryKey: true },
      name: { type: DataTypes.STRING(255), allowNull: false },
      total_stock: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
      available_stock: { type: DataTypes.INTEGER, allowNull: false },
      price: { type: DataTypes.DECIMAL(10, 2), allowNull: false },
      max_per_customer: { type: DataTypes.INTEGER.UNSIGNED, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'products',
      modelName: 'Product',
      ...options,
      // What every read calls available_stock is the product's whole stock: its row plus its shards (docs/scaling.md).
      defaultScope: {
        attributes: {
          exclude: ['available_stock'],
          include: [[literal(availableStockSql('`Product`')), 'available_stock']],
        },
      },
    },
  );
  HoldModel.init(
    {
      id: { type: DataTypes.BIGINT.UNSIGNED, primaryKey: true },
      product_id: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
      quantity: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
      customer_id: { type: DataTypes.STRING(255), allowNull: true },
      hold_expires_at: { type: DataTypes.DATE(3), allowNull: false },
      released_at: { type: DataTypes.DATE(3), allowNull: true },
      used_at: { type: DataTypes.DATE(3), allowNull: true },
      release_reason: { type: DataTypes.STRING(32), allowNull: true },
      ...timestamps,
    },
    { sequelize, tableName: 'holds', ...options },
  );
  OrderModel.init(
    {
      id: { type: DataTypes.BIGINT.UNSIGNED, autoIncrement: true, primaryKey: true },
      hold_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      status: { type: DataTypes.ENUM('pending', 'completed', 'cancelled'), allowNull: false },
      payment_idempotency_key: { type: DataTypes.STRING(255), allowNull: true },
      refund_due_at: { type: DataTypes.DATE(3), allowNull: true },
      refunded_at: { type: DataTypes.DATE(3), allowNull: true },
      customer_id: { type: DataTypes.STRING(255), allowNull: true },
      amount: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      currency: { type: DataTypes.CHAR(3), allowNull: false },
      ...timestamps,
    },
    { sequelize, tableName: 'orders', ...options },
  );
  return { Product: ProductModel, Hold: HoldModel, Order: OrderModel };
}
