# weightscape's CLI on Node 20 (CPU): the WASM backend, with onnxruntime's bundled CPU library.
# Build: docker build -t weightscape . ; run: docker run --rm -v "$PWD:/data" weightscape sample ...
# The Kubernetes example (examples/kubernetes/) runs this image.
FROM node:20-slim

WORKDIR /opt/weightscape

# The manifests alone first, so the dependency layer is rebuilt only when the dependencies change.
COPY package.json package-lock.json ./

# --ignore-scripts, because:
# - the package's own `prepare` script builds dist/ (the library API) with TypeScript, a
#   devDependency that --omit=dev leaves out, so `npm ci --omit=dev` fails in it; the CLI runs the
#   sources through tsx and needs no dist/;
# - onnxruntime-node ships its CPU library in the package (bin/napi-v6/linux/<arch>); its install
#   script only downloads the CUDA provider;
# - tfjs-node(-gpu)'s install script downloads libtensorflow (hundreds of MB). Without it they
#   cannot load, so they are removed: the backend choice then says "not installed" and uses WASM.
# onnxruntime's libraries for other operating systems (~200 MB) are removed too.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/@tensorflow/tfjs-node node_modules/@tensorflow/tfjs-node-gpu \
  && find node_modules/onnxruntime-node/bin/napi-v6 -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} + \
  && npm cache clean --force

# What the CLI reads at run time (package.json's `files`, less dist/): the bundled `mini` data set
# and the small fixture models are under fixtures/.
COPY tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY src ./src
COPY schemas ./schemas
COPY fixtures ./fixtures

# Results go to /data (a volume); the image's files stay root-owned and read-only to the user.
RUN mkdir -p /data && chown node:node /data
WORKDIR /data
USER node

ENTRYPOINT ["node", "/opt/weightscape/bin/weightscape.js"]
CMD ["--help"]
