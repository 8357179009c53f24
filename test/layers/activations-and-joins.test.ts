/**
 * linear without bias, globalAvgPool, leakyRelu, clip, sigmoid, mul (same shape and a per-channel
 * gate), concat, and the kinks (ReLU, ReLU6 and leaky ReLU exactly at 0 and 6, max-pooling windows
 * with ties and all-negative windows by the padding) in the three contexts against PyTorch float64
 * (fixtures/make_layer_fixtures.py): tfjs forward and gradients on wasm and cpu, TangentContext's
 * H·v, and onnxruntime's graph plain and blocked (NCHWc).
 */
import { layerCaseTests } from '../helpers/layer-cases.ts';

// The kinks' 1×1 identity has 2 channels, too few to block.
layerCaseTests(['heads', 'activations', 'se-concat', 'kinks'], ['kinks']);
