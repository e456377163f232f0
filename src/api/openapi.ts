/** OpenAPI 3.1 description of the HTTP contract (filled in fully in its own change). */
export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'Flash Sale API', version: '1.0.0' },
  paths: {},
};
