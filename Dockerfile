# The service against a real MongoDB (set MONGO_URI); the embedded database is for development.
# Not built here: our machines run no Docker engine (docs/operating.md).
FROM denoland/deno:2.9.6

WORKDIR /app

# Dependencies first, in their own layer: cached until deno.json or deno.lock change.
COPY deno.json deno.lock ./
COPY console/deno.json ./console/
RUN deno install --frozen

COPY src/ ./src/
COPY console/ ./console/
RUN deno cache --frozen src/main.ts src/platform/hash-worker.ts console/main.tsx
# One bundle now, so the bundler and the console's packages are in the image: the service
# bundles the console at start without downloading anything.
RUN deno bundle --frozen --platform browser --quiet --output /tmp/console.js console/main.tsx \
    && rm /tmp/console.js

ENV APP_ENV=production \
    PORT=8000 \
    LOG_LEVEL=info
EXPOSE 8000

USER deno
CMD ["deno", "task", "start"]
