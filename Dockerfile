# stampd in a container: build the TypeScript in one stage, run it from a slim Node image with
# production dependencies only, as an unprivileged user. `docker compose up` (docker-compose.yml)
# runs it next to PostgreSQL; without DATABASE_URL it keeps the embedded database under /data.
# Every stage is on the current Node LTS (24; Node 20 reached end of life in April 2026), so what is
# built is what runs; .ci/run runs the built server on the same major (scripts/smoke.ts).

# Compiles src/ (with the generated Prisma client) into dist/.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Dependencies' install scripts download nothing this build needs; `npm run build` generates the client.
RUN npm ci --ignore-scripts
COPY prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
COPY src ./src
RUN npm run build

# Production dependencies only. The Prisma CLI and TypeScript are optional peers of @prisma/client
# that only the build needs: --omit=optional leaves them (and pg's Cloudflare socket) out.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The server applies these at start (src/platform/db/migrate.ts reads them beside dist/).
COPY prisma/migrations ./prisma/migrations
COPY package.json ./
COPY bin ./bin
# `stampd` on the PATH, for `docker compose exec app stampd ...`; the data directory for the node user.
RUN ln -s /app/bin/stampd.js /usr/local/bin/stampd \
 && mkdir -p /data \
 && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
# Node's own fetch: the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["stampd", "serve"]
