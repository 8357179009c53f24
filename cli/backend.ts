/** `weightscape backend`: which TensorFlow.js backends load here and which one is in use. */
import { Command } from 'commander';
import { probeBackends } from '../src/backend/select-backend.ts';
import { FAST_GRADIENT_KERNELS } from '../src/backend/fast-gradients.ts';
import { createContext } from './context.ts';

export function backendCommand(): Command {
  return new Command('backend')
    .description('list the TensorFlow.js backends that load on this machine and the one in use')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = await createContext(command);
      const probes = await probeBackends();
      if (options.json) {
        context.stdout(JSON.stringify({ active: context.backend, backends: probes }, null, 2));
        return;
      }
      const lines = probes.map((probe) => {
        const mark = probe.name === context.backend.name ? '*' : ' ';
        return `${mark} ${probe.name.padEnd(9)}${probe.loads ? 'loads' : `unavailable: ${probe.reason}`}`;
      });
      const { backend } = context;
      const details =
        backend.name === 'wasm'
          ? `, SIMD ${backend.simd ? 'on' : 'off'}, ${backend.threads} thread(s), gradient formulas for ${FAST_GRADIENT_KERNELS.join(', ')}`
          : '';
      const ort =
        backend.onnxruntime !== undefined
          ? `onnxruntime ${backend.onnxruntime.version}, ${backend.onnxruntime.threads} thread(s): attacks, logits and training gradients`
          : `onnxruntime: off (${backend.onnxruntimeOff ?? 'not requested'})`;
      context.stdout(`${lines.join('\n')}\nin use: ${backend.name} (tfjs ${backend.tfjsVersion}${details})\n${ort}`);
    });
}
