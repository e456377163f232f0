import { PRODUCT_CACHE_TTL_SECONDS } from '../../sale/products';
import { jsonResponse, listOperation, notFoundResponse, parameter, requestId, schema, withDependencies } from './build';

export const productPaths = {
  '/api/products': {
    get: listOperation('products', 'listProducts', 'List products', 'Product', '/api/products', 'All products.'),
  },
  '/api/products/{id}': {
    get: {
      tags: ['products'],
      operationId: 'getProduct',
      summary: 'Show a product',
      description: `The bare product, served from Redis (TTL ${PRODUCT_CACHE_TTL_SECONDS} s). The cached copy is invalidated after every committed stock change, so it never shows stock older than the last commit.`,
      parameters: [parameter('ProductId'), requestId],
      responses: {
        '200': jsonResponse('The product.', schema('Product')),
        '404': notFoundResponse('Product'),
        ...withDependencies,
      },
    },
  },
};

export const productSchemas = {
  Product: {
    type: 'object',
    required: ['id', 'name', 'total_stock', 'available_stock', 'price', 'created_at', 'updated_at'],
    additionalProperties: false,
    properties: {
      id: schema('Id'),
      name: { type: 'string', examples: ['Limited Edition Flash Sale Item'] },
      total_stock: {
        type: 'integer',
        minimum: 0,
        description: 'Units the product was created with, plus restocks.',
      },
      available_stock: {
        type: 'integer',
        minimum: 0,
        description: 'Units neither held nor sold (see the conservation rule).',
      },
      price: { type: 'number', minimum: 0, description: 'At most two decimals.', examples: [99.99] },
      created_at: schema('Timestamp'),
      updated_at: schema('Timestamp'),
    },
  },
};
