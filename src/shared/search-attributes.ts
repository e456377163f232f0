import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Registered in the namespace by `npm run setup-temporal` (src/temporal/namespace.ts), on every set-up path. */
export const HoldStatusKey = defineSearchAttributeKey('HoldStatus', SearchAttributeType.KEYWORD);
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const ProductIdKey = defineSearchAttributeKey('ProductId', SearchAttributeType.INT);
export const HoldExpiresAtKey = defineSearchAttributeKey('HoldExpiresAt', SearchAttributeType.DATETIME);
/** The shop's customer of a hold (and of its order), given at start when the request named one. */
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);

type SearchAttributeTypeName = 'Keyword' | 'Int' | 'Datetime';
const TYPE_NAMES: Partial<Record<string, SearchAttributeTypeName>> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DATETIME]: 'Datetime',
};

const typeName = (type: string): SearchAttributeTypeName => {
  const name = TYPE_NAMES[type];
  if (!name) throw new Error(`search attribute type ${type} has no CLI name here`);
  return name;
};

/** name=Type pairs, as the CLI's --search-attribute flag and the operator service want them: the keys above, once. */
export const searchAttributeDefinitions: Record<string, SearchAttributeTypeName> = Object.fromEntries(
  [HoldStatusKey, OrderStatusKey, ProductIdKey, HoldExpiresAtKey, CustomerIdKey].map((key) => [
    key.name,
    typeName(key.type),
  ]),
);
