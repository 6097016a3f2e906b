ARG NODE_VERSION={{node_version}}

# ---- build stage: mlx and its production dependencies ---------------------------------
FROM node:${NODE_VERSION}-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary fits the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# onnxruntime-node carries its CPU runtime; its install script would download CUDA files.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json {{tarball}} ./
RUN npm install --omit=dev --no-audit --no-fund

{{runtime_title}}
FROM node:${NODE_VERSION}-slim
ENV NODE_ENV=production \
    PATH=/app/node_modules/.bin:$PATH
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
