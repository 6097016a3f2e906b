ARG NODE_VERSION={{node_version}}
# The CUDA runtime the GPU image runs on: onnxruntime-node's CUDA provider needs CUDA 12 and cuDNN 9.
ARG CUDA_IMAGE={{cuda_image}}

# ---- node: the Node.js binary the CUDA image is given ---------------------------------
FROM node:${NODE_VERSION}-slim AS node

# ---- build stage: mlx, its production dependencies, onnxruntime's CUDA provider -------
FROM node:${NODE_VERSION}-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary fits the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# onnxruntime-node's install script downloads its CUDA 12 execution provider (from NuGet: the
# build needs the network); the build fails here rather than serve on the CPU without it.
ENV ONNXRUNTIME_NODE_INSTALL_CUDA=v12
COPY package.json {{tarball}} ./
RUN npm install --omit=dev --no-audit --no-fund \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so

{{runtime_title}}
FROM ${CUDA_IMAGE}
COPY --from=node /usr/local/bin/node /usr/local/bin/node
# The same unprivileged user (uid 1000) as the node images have.
RUN useradd --uid 1000 --user-group --create-home --shell /usr/sbin/nologin node
ENV NODE_ENV=production \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    PATH=/app/node_modules/.bin:$PATH
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
