# syntax=docker/dockerfile:1
#
# occupier-operator container image.
#
# The operator is TypeScript run directly by Node 24 (type stripping): there is no build
# step, so the image is the production node_modules plus the sources. Build from the
# repository root:  docker build -t occupier-operator:0.1.0 .
#
# Runtime: non-root (uid/gid 65532), files owned by root and read-only to the process, so
# the pod can run with readOnlyRootFilesystem (the chart mounts an emptyDir at /tmp).
# The entrypoint is exec-form: no shell is involved at run time. The Node version is the
# one the tests run on (the `node` devDependency in package.json); keep the two equal.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# --- dependencies: production packages only, no install scripts -----------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# --- runtime ----------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="occupier-operator" \
      org.opencontainers.image.description="Kubernetes operator for the lifecycle of occupiers (tenants) of a multi-site workspace provider" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
# uid 65532 has no passwd entry: give it a home on the writable /tmp.
ENV HOME=/tmp
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# package.json carries "type": "module", which Node needs to load the sources as ESM.
COPY package.json ./
COPY operator ./operator
COPY drivers ./drivers
COPY crds ./crds
USER 65532:65532
# /metrics, /healthz, /readyz
EXPOSE 8080
ENTRYPOINT ["node", "--max-semi-space-size=16", "operator/src/cli/main.ts"]
