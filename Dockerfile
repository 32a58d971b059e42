# The service against a real MongoDB (set MONGO_URI); the embedded database is for development.
# Not built here: our machines run no Docker engine (see README).
FROM denoland/deno:2.9.6

WORKDIR /app

# Dependencies first, in their own layer: cached until deno.json or deno.lock change.
COPY deno.json deno.lock ./
RUN deno install --frozen

COPY src/ ./src/
RUN deno cache --frozen src/main.ts src/identity/hash-worker.ts

ENV APP_ENV=production \
    PORT=8000 \
    LOG_LEVEL=info
EXPOSE 8000

USER deno
CMD ["deno", "task", "start"]
