# weightscape's CLI on Node 20 (CPU): the WASM backend, with onnxruntime's bundled CPU library.
# Build: docker build -t weightscape . ; run: docker run --rm -v "$PWD:/data" weightscape sample ...
# The Kubernetes example (examples/kubernetes/) runs this image.
FROM node:20-slim

WORKDIR /opt/weightscape

# The manifests alone first, so the dependency layer is rebuilt only when the dependencies change.
COPY package.json package-lock.json ./

# --ignore-scripts, because:
# - the package's own `prepare` script builds dist/ (the library API) with TypeScript, a
#   devDependency that --omit=dev leaves out, so plain `npm ci --omit=dev` fails here; the CLI
#   runs the sources through tsx and needs no dist/;
# - npm 10 (this image's) ignores package.json's allowScripts, so it would run every install script:
#   onnxruntime-node's downloads its CUDA provider from NuGet on linux/x64 (and when that fails,
#   npm drops onnxruntime-node altogether), while its CPU library is already in the package
#   (bin/napi-v6/linux/<arch>); tfjs-node(-gpu)'s download libtensorflow (hundreds of MB).
# Without libtensorflow tfjs-node(-gpu) cannot load, so they are removed: the backend choice then
# says "not installed" and uses WASM. onnxruntime's libraries for other systems (~200 MB) go too.
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
# The base image's `node` user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000

ENTRYPOINT ["node", "/opt/weightscape/bin/weightscape.js"]
CMD ["--help"]
