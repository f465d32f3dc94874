# spikeline production image: multi-stage, production dependencies only, non-root, healthcheck.
#   docker build -t spikeline .
#   docker run --rm -p 127.0.0.1:8080:8080 -e SPIKELINE_TOKEN=change-me spikeline \
#     run pipelines/demo.yaml --host 0.0.0.0 --token-env SPIKELINE_TOKEN
# Without arguments the container runs `spikeline demo` (bound to the container's loopback:
# reachable only from inside; publishing needs --host 0.0.0.0 and a token as above).

# --- build: compile TypeScript with the dev toolchain ---------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: `prepare` would run tsc before the sources are here.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

# --- deps: production node_modules only (native addons built here, toolchain left behind) ---
FROM node:20-bookworm-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && npm rebuild better-sqlite3 \
 && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
# Huge pages for glibc malloc's large blocks: every decoded batch and fresh frame tensor is new
# memory, and with 4 KiB pages its first touch costs a page fault per page (numpy asks for huge
# pages itself; V8 cannot). Measured in docs/benchmarks-2026-12-06-amd.md.
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY pipelines ./pipelines
COPY fixtures ./fixtures
# Pipelines write JSONL under data/; the image's own files stay read-only to the service user.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080
# /healthz answers while the process serves; /readyz (source connected) is for orchestrators.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM = graceful stop: sinks flushed, WebSocket clients closed with 1001.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/spikeline.js"]
CMD ["demo"]
