/**
 * maxPool and avgPool with stride and padding (PyTorch's max_pool2d, −∞ padding, and avg_pool2d
 * with count_include_pad) in the three contexts against PyTorch float64 (the 'pools' case of
 * fixtures/make_layer_fixtures.py: max 3/2/1, avg 3/1/1, max 3/1/0, avg 2/2/1, max 2 as
 * size/stride/padding): tfjs forward and gradients on wasm (weightscape's kernels) and cpu (tfjs's
 * own), TangentContext's H·v, and onnxruntime's graph, plain and blocked (NCHWc). Ties and windows
 * of negatives by the padding: activations-and-joins.test.ts ('kinks').
 */
import { layerCaseTests } from '../helpers/layer-cases.ts';

layerCaseTests(['pools']);
