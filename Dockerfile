# One image for every service: the command picks the program, e.g.
# ["node", "dist/subgraphs/catalog/main.js"] (docker-compose.yml sets one per
# container; the default is the gateway). Services take DATABASE_URL and
# REDIS_URL; the image has no embedded PostgreSQL and no dev dependencies.
# scripts/dockerfile.test.ts checks what the final stage copies.
ARG NODE_IMAGE=node:24-bookworm-slim

# Compile: all dependencies (swc), then dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json .swcrc ./
COPY lib lib
COPY gateway gateway
COPY subgraphs subgraphs
COPY scripts scripts
# Type checking runs in CI (npm test); the image only compiles.
RUN npm run build

# Production dependencies only, exactly as locked.
FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production APOLLO_TELEMETRY_DISABLED=true
WORKDIR /app
COPY package.json ./
COPY --from=production-dependencies /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY schema schema
# The image's unprivileged user (uid 1000); it owns nothing in /app.
USER node
EXPOSE 4000 4001 4002 4003 4004 4005
CMD ["node", "dist/gateway/main.js"]
