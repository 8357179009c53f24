// The Kubernetes example (examples/kubernetes/) and the Dockerfile it runs, checked without a
// cluster or Docker: every manifest against Kubernetes' schema (kubernetes-models, generated from
// Kubernetes' OpenAPI), unknown keys refused through the same models' TypeScript types, and the
// fields that must agree across the files (shard count, paths, image, volume claim).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Job } from 'kubernetes-models/batch/v1';
import { PersistentVolumeClaim, Pod } from 'kubernetes-models/v1';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const exampleDir = join(root, 'examples', 'kubernetes');

type Manifest = Record<string, unknown>;
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  resources?: { requests?: { cpu?: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  restartPolicy?: string;
  initContainers?: Container[];
  containers: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}
interface JobManifest {
  kind: 'Job';
  metadata: { name: string };
  spec: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    backoffLimit?: number;
    backoffLimitPerIndex?: number;
    template: { spec: PodSpec };
  };
}

/** Every YAML document of every examples/kubernetes/*.yaml, with its file name. */
function loadManifests(): { file: string; doc: Manifest }[] {
  const files = readdirSync(exampleDir).filter((name) => name.endsWith('.yaml'));
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(exampleDir, file), 'utf8')).map((document) => {
      assert.deepEqual(document.errors, [], `${file}: YAML errors`);
      return { file, doc: document.toJS() as Manifest };
    }),
  );
}

/** kubernetes-models' class and TypeScript interface for each kind the example uses. */
const KINDS: Record<string, { validate(obj: Manifest): void; module: string; type: string }> = {
  Job: { validate: (obj) => new Job(obj as never).validate(), module: 'kubernetes-models/batch/v1', type: 'IJob' },
  Pod: { validate: (obj) => new Pod(obj as never).validate(), module: 'kubernetes-models/v1', type: 'IPod' },
  PersistentVolumeClaim: {
    validate: (obj) => new PersistentVolumeClaim(obj as never).validate(),
    module: 'kubernetes-models/v1',
    type: 'IPersistentVolumeClaim',
  },
};

/**
 * The JSON schema does not refuse unknown keys (a misspelled optional field would pass), so each
 * manifest is also type-checked as an object literal of the model's interface: TypeScript's excess
 * property check refuses any key, at any depth, that the Kubernetes API does not have.
 */
function unknownKeyErrors(docs: Manifest[]): string[] {
  const file = join(root, 'test', 'examples', '__manifests__.ts');
  const source = docs
    .map((doc, i) => {
      const kind = KINDS[String(doc.kind)]!;
      return `import type { ${kind.type} as T${i} } from '${kind.module}';\nexport const m${i}: T${i} = ${JSON.stringify(doc)};`;
    })
    .join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, source, version) : getSourceFile.call(host, name, version, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file?.fileName === file)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, ' '));
}

const manifests = loadManifests();
const jobs = (name: string): JobManifest => {
  const found = manifests.find(({ doc }) => doc.kind === 'Job' && (doc.metadata as { name: string }).name === name);
  assert.ok(found, `no Job named ${name} in examples/kubernetes`);
  return found.doc as unknown as JobManifest;
};
const sweep = jobs('weightscape-sweep');
const merge = jobs('weightscape-merge');
const allContainers = manifests.flatMap(({ doc }) => {
  const spec = doc.kind === 'Job' ? (doc as unknown as JobManifest).spec.template.spec : (doc.spec as PodSpec);
  return doc.kind === 'PersistentVolumeClaim' ? [] : [...(spec.initContainers ?? []), ...spec.containers];
});
/** The value after `flag` in a container's args. */
const argAfter = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

test('every manifest in examples/kubernetes is valid against its Kubernetes schema', () => {
  assert.ok(manifests.length >= 3, 'expected at least the PVC and the two Jobs');
  for (const { file, doc } of manifests) {
    const kind = KINDS[String(doc.kind)];
    assert.ok(kind, `${file}: no schema check for kind ${String(doc.kind)}`);
    assert.doesNotThrow(() => kind.validate(doc), `${file}: ${String(doc.kind)} fails its schema`);
  }
});

test('the schema check is real: a wrong type or a missing required field fails', () => {
  const wrongType = structuredClone(sweep) as unknown as Manifest & { spec: Record<string, unknown> };
  wrongType.spec.completions = 'four';
  assert.throws(() => new Job(wrongType as never).validate(), /completions/);
  const misspelled = structuredClone(sweep) as unknown as Manifest & { spec: Record<string, unknown> };
  misspelled.spec.templat = misspelled.spec.template;
  delete misspelled.spec.template;
  assert.throws(() => new Job(misspelled as never).validate(), /template/);
});

test('no manifest has a key the Kubernetes API does not know, and the check catches one', () => {
  // Misspelled optional fields, at the top or in a container, pass the JSON schema...
  const top = structuredClone(sweep) as unknown as Manifest & { spec: Record<string, unknown> };
  top.spec.backofLimitPerIndex = 3;
  const deep = structuredClone(sweep);
  Object.assign(deep.spec.template.spec.containers[0]!, { resource: { requests: { cpu: '1' } } });
  for (const typo of [top, deep]) assert.doesNotThrow(() => new Job(typo as never).validate());
  // ...but not this check, which finds nothing else (one program for all: each costs seconds;
  // TypeScript names the first unknown key of each document).
  const errors = unknownKeyErrors([...manifests.map(({ doc }) => doc), top, deep as unknown as Manifest]);
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(errors[0]!, /known properties, and '"backofLimitPerIndex"' does not exist in type 'IJobSpec'/);
  assert.match(errors[1]!, /known properties, and '"resource"' does not exist in type 'IContainer'/);
});

test('the sweep is an indexed Job whose shard count is its completions, resumed on retry', () => {
  const { spec } = sweep;
  assert.equal(spec.completionMode, 'Indexed');
  const [container] = spec.template.spec.containers;
  assert.ok(container);
  const shardCount = container.env?.find((variable) => variable.name === 'WEIGHTSCAPE_SHARD_COUNT')?.value;
  assert.equal(spec.completions, Number(shardCount));
  assert.equal(spec.parallelism, spec.completions);
  // The Job controller adds JOB_COMPLETION_INDEX only when the container does not set it itself.
  assert.equal(
    container.env?.find((variable) => variable.name === 'JOB_COMPLETION_INDEX'),
    undefined,
  );
  // A failed pod is replaced (Never: a new pod per failure) and continues its shard file.
  assert.equal(spec.template.spec.restartPolicy, 'Never');
  assert.ok((spec.backoffLimitPerIndex ?? spec.backoffLimit ?? 0) > 0, 'no retries');
  const args = container.args ?? [];
  // As many engine threads as the CPU request (the default, one per core, sees the node's cores).
  assert.deepEqual(args.slice(0, 3), ['--threads', container.resources?.requests?.cpu, 'sample']);
  assert.equal(argAfter(args, '--shard'), 'auto');
  assert.ok(args.includes('--resume'));
  assert.equal(argAfter(args, '--loss'), 'adversarial');
  assert.ok(args.includes('--range2'));
  assert.equal(argAfter(args, '--out'), '/data/shards/shard-$(JOB_COMPLETION_INDEX).json');
  // The shard directory exists before sample writes into it.
  const mkdir = spec.template.spec.initContainers?.find((init) => init.command?.[0] === 'mkdir');
  assert.deepEqual(mkdir?.command, ['mkdir', '-p', '/data/shards']);
});

test("the merge Job reads the sweep's shard directory, waits for it, and reports what it merged", () => {
  const podSpec = merge.spec.template.spec;
  const mergeArgs = [...(podSpec.initContainers ?? []), ...podSpec.containers].find(
    (container) => container.args?.[0] === 'merge',
  )?.args;
  const reportArgs = podSpec.containers.find((container) => container.args?.[0] === 'report')?.args;
  assert.ok(mergeArgs && reportArgs);
  const sweepOut = argAfter(sweep.spec.template.spec.containers[0]!.args!, '--out')!;
  assert.equal(mergeArgs[1], dirname(sweepOut));
  assert.ok(Number(argAfter(mergeArgs, '--wait')) > 0);
  assert.equal(reportArgs[1], argAfter(mergeArgs, '--out'));
});

test('every container runs the same image and mounts the one ReadWriteMany claim at /data', () => {
  const images = new Set(allContainers.map((container) => container.image));
  assert.equal(images.size, 1, `images differ: ${[...images].join(', ')}`);
  const pvcs = manifests.filter(({ doc }) => doc.kind === 'PersistentVolumeClaim').map(({ doc }) => doc);
  assert.equal(pvcs.length, 1);
  const pvc = pvcs[0] as { metadata: { name: string }; spec: { accessModes: string[] } };
  assert.deepEqual(pvc.spec.accessModes, ['ReadWriteMany']);
  for (const { file, doc } of manifests) {
    if (doc.kind === 'PersistentVolumeClaim') continue;
    const spec = doc.kind === 'Job' ? (doc as unknown as JobManifest).spec.template.spec : (doc.spec as PodSpec);
    assert.deepEqual(
      spec.volumes?.map((volume) => volume.persistentVolumeClaim?.claimName),
      [pvc.metadata.name],
      file,
    );
    for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
      assert.deepEqual(container.volumeMounts, [{ name: spec.volumes![0]!.name, mountPath: '/data' }], file);
    }
  }
});

test('the Dockerfile builds on node:20-slim with npm ci --omit=dev and copies what the CLI needs', () => {
  const lines = readFileSync(join(root, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  const instructions = lines.map((line) => line.trim().split(/\s+/));
  assert.deepEqual(
    instructions.filter(([op]) => op === 'FROM').map(([, image]) => image),
    ['node:20-slim'],
  );
  assert.ok(lines.some((line) => /^RUN .*\bnpm ci --omit=dev\b/.test(line)));
  const ignored = new Set(
    readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#')),
  );
  const copied = instructions
    .filter(([op]) => op === 'COPY')
    .flatMap((words) => words.slice(1, -1).filter((word) => !word.startsWith('--')));
  for (const path of copied) {
    assert.ok(existsSync(join(root, path)), `Dockerfile copies ${path}, which is not in the repository`);
    assert.ok(!ignored.has(path), `Dockerfile copies ${path}, which .dockerignore leaves out`);
  }
  // Everything the package ships (package.json's files) except dist/ (not built in the image).
  const { files } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };
  for (const path of files.filter((entry) => !entry.startsWith('dist'))) {
    assert.ok(copied.includes(path), `the package ships ${path} but the Dockerfile does not copy it`);
  }
  const user = instructions.filter(([op]) => op === 'USER').at(-1)?.[1];
  assert.ok(user !== undefined && user !== 'root' && user !== '0', 'the image runs as root');
  assert.ok(lines.includes('ENTRYPOINT ["node", "/opt/weightscape/bin/weightscape.js"]'));
  assert.ok(lines.includes('WORKDIR /opt/weightscape'));
});
