import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Registered on the server by the start command (temporal server start-dev --search-attribute ...). */
export const HoldStatusKey = defineSearchAttributeKey('HoldStatus', SearchAttributeType.KEYWORD);
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const ProductIdKey = defineSearchAttributeKey('ProductId', SearchAttributeType.INT);
export const HoldExpiresAtKey = defineSearchAttributeKey('HoldExpiresAt', SearchAttributeType.DATETIME);
/** The shop's customer of a hold (and of its order), given at start when the request named one. */
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);

/** name=Type pairs, as the CLI's --search-attribute flag and the operator service want them. */
export const searchAttributeDefinitions: Record<string, 'Keyword' | 'Int' | 'Datetime'> = {
  HoldStatus: 'Keyword',
  OrderStatus: 'Keyword',
  ProductId: 'Int',
  HoldExpiresAt: 'Datetime',
  CustomerId: 'Keyword',
};
