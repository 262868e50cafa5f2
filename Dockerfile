# One image for every Gantry process; infra/compose.yaml picks the process by its command:
#   docker build -t gantry:dev .      then e.g.   docker run gantry:dev node services/registry/src/main.ts --help
#
# Node 24 runs the TypeScript sources as they are (type stripping), so there is no build step and
# no devDependency is needed at run time: typescript and @types/* only type-check, @bufbuild/buf
# and protoc-gen-es generate proto/src/gen (committed), esbuild bundles the agent for nodes that
# run it without this image, and the `node` devDependency pins the Node that this base image is.

# Only the npm manifests, so that the dependency layer below is rebuilt when they change and not
# on every source change (this stage reruns, its output stays the same).
FROM node:24-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json ! -name .npmrc -delete

# The agent's task launcher (C, libc only), built where a compiler is; the image gets the binary.
FROM node:24-bookworm-slim AS launcher
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev make && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/build-launcher.sh scripts/
COPY services/agent/launcher services/agent/launcher
RUN bash scripts/build-launcher.sh

FROM node:24-bookworm-slim
# What the agent runs tasks with: CNI plugins (bridge, host-local, portmap) and iptables for pod
# networks, iproute2 for their namespaces (`ip netns`), unzip/bzip2/xz for fetched artifacts;
# nsenter and setpriv come with the base image's util-linux. The other services use none of it:
# one image is simpler than two that must be kept in step.
RUN apt-get update \
 && apt-get install -y --no-install-recommends containernetworking-plugins iptables iproute2 unzip bzip2 xz-utils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/gantry
COPY --from=manifests /src/ ./
# Without install scripts: the only one of ours builds the launcher, which the stage above did
# (the packages with native code ship prebuilt binaries).
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY . .
COPY --from=launcher /src/services/agent/launcher/bin/gantry-task-launcher services/agent/launcher/bin/
# The `auth` volume takes this folder's owner when first mounted: `node`, whom the services run as.
RUN mkdir -p /var/lib/gantry/auth && chown node:node /var/lib/gantry/auth
# Likewise the `metrics` volume, where the metrics service persists its blocks.
RUN mkdir -p /var/lib/gantry/metrics && chown node:node /var/lib/gantry/metrics
# The exec ticket key pair's volumes (the private key for the gateway, the public one for agents).
RUN mkdir -p /var/lib/gantry/exec /var/lib/gantry/exec-public && chown node:node /var/lib/gantry/exec /var/lib/gantry/exec-public
USER node
