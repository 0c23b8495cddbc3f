# campus-sync: one image for both roles, `campus-sync supervise` (the default) and `campus-sync worker <name>`.
# Builds on any image with node and npm and nothing else: no apt-get here, so it also builds on the offline
# stand-in made by scripts/docker-setup.sh (NODE_IMAGE=campus-sync/node-standin:local).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the other install scripts in the tree build optional native speed-ups for ssh2 (dockerode's
# ssh:// transport); node-gyp would try to download node headers and needs a compiler, neither of which the
# slim image has. Both packages fall back to pure JavaScript without them.
RUN npm ci --ignore-scripts --no-audit --no-fund
# better-sqlite3 (the store's SQLite driver) is the one install script we do need: see docker/install-native.cjs.
COPY docker ./docker
RUN node docker/install-native.cjs
# The production packages alone, in /prod, and the image's empty mount points: made once per package-lock.json (and
# docker/), so a change to the sources rebuilds only dist/ below (`npm prune` was most of that step, on every build).
RUN node docker/prod-packages.cjs /prod && cd /prod && npm prune --omit=dev --ignore-scripts --no-audit --no-fund
# `npm run build:image` is esbuild throughout: our modules one file for one file without the simulators, benches
# and demo (scripts/build-modules.mjs --image: they are the checkout's, for tests, `npm run bench` and
# `npm run demo`; types are checked by `npm run typecheck` in the checkout, not here), the pages' browser code into
# dist/assets/ (served from there), and the program itself into dist/cli.js and dist/chunks/ (scripts/build-cli.mjs
# says why: a worker's memory and start-up). image-manifest.cjs then writes dist/image.json, what the image contains, and
# fails the build if a left-out folder got in.
COPY scripts/build-modules.mjs scripts/build-assets.mjs scripts/build-cli.mjs ./scripts/
COPY src ./src
RUN npm run build:image && node docker/image-manifest.cjs dist package.json /prod/node_modules

FROM ${NODE_IMAGE}
# What this image is (OCI annotations); /app/dist/image.json lists its roles, verbs, folders and packages.
LABEL org.opencontainers.image.title="campus-sync" \
      org.opencontainers.image.description="Keeps MonCampus timetables in ECAL schedules and alerts on new appointment slots. Roles: supervise (the default command), worker <name> (started by the supervisor). No simulators, benches or demo." \
      org.opencontainers.image.licenses="MIT" \
      campus-sync.roles="supervise worker" \
      campus-sync.manifest="/app/dist/image.json"
WORKDIR /app
ENV NODE_ENV=production \
    CAMPUS_SYNC_IN_CONTAINER=1 \
    CAMPUS_SYNC_CONFIG_DIR=/config \
    CAMPUS_SYNC_DATA_DIR=/data
USER node
# The worker role answers from data/<name>/worker.json (CAMPUS_SYNC_INSTANCE), the supervisor from its heartbeat.
# dist/health.js is `campus-sync health` without the CLI around it: Docker starts it every 30 s in every
# container, and it costs half the CPU of `cli.js health` (README "Performance"). 60 s of start period: a
# power cut restarts every worker of a Pi at once, and a probe that fails while they all start would count.
# 30 s to answer (Docker's default; it was 5 s): the probe reads one small file, so a slow answer is a busy
# machine, not a sick worker, and 100 workers starting on 2 cores made node alone take over 5 s to start, so
# Swarm killed healthy workers as "unhealthy" and the restarts made the machine busier still.
HEALTHCHECK --interval=30s --timeout=30s --start-period=60s --retries=3 CMD ["node", "/app/dist/health.js"]
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["supervise"]
# The files last, what changes most last (the instructions above are settings, cached from one build to the next;
# COPY writes files as root whatever USER says, unless --chown). Empty mount points made in the build stage (the
# runtime image may have no mkdir): /data belongs to node so a named volume mounted there starts writable by the
# worker; /config is only ever read.
COPY --from=build /out/config /config
COPY --from=build --chown=node:node /out/data /data
COPY --from=build /src/package.json ./
COPY --from=build /prod/node_modules ./node_modules
# The worker template the supervisor renders (compose.yml mounts the checkout's copy over it, so edits roll out).
COPY compose.template.yml ./
COPY --from=build /src/dist ./dist
