# syntax=docker/dockerfile:1
# One image for every process of the service:
#   API       node dist/api/main.js       (the default command; listens on $PORT, 8000)
#   worker    node dist/worker/main.js
#   database  node dist/db/cli.js setup   (one-shot: create the database, migrate, seed)

# ---- build: compile the TypeScript and bundle the workflow code once -------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN SCARF_ANALYTICS=false npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && node dist/cli/bundle-workflows.js dist/workflow-bundle.js

# ---- runtime: production dependencies and the compiled output only, as a non-root user ------
FROM node:22-bookworm-slim AS runtime
# AsyncContextFrame: AsyncLocalStorage without a hook on every promise (Node.js 24's default;
# docs/performance-history.md).
ENV NODE_ENV=production \
    NODE_OPTIONS=--experimental-async-context-frame \
    PORT=8000 \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
COPY package.json package-lock.json ./
RUN SCARF_ANALYTICS=false npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# The official Node image ships an unprivileged "node" user (uid 1000); nothing under /app is writable by it.
USER node
EXPOSE 8000
# The API's liveness probe (Node's fetch: the slim image has no curl). The compose file turns it off for
# the worker and the one-shot database set-up, which run the same image without a listener.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/api/main.js"]
