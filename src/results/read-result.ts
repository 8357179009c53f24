/**
 * The one reader of result files: reads the JSON, checks the schema tag, validates the structure
 * against the kind's schema and returns the typed result, or throws one `bad-file` line naming
 * the file and the first offending field (`values.cleanLoss[0][3]: expected number or null`).
 */
import type { z } from 'zod';
import { baselineSchema, BASELINE_SCHEMA } from './baseline-schema.ts';
import { WeightscapeError } from '../errors.ts';
import { checkSchema, CHECK_SCHEMA } from './check-schema.ts';
import { correlationSchema, CORRELATION_SCHEMA } from './correlation-schema.ts';
import { evalSchema, EVAL_SCHEMA } from './eval-schema.ts';
import { flatnessSchema, FLATNESS_TAGS } from './flatness-schema.ts';
import { hessianSchema, HESSIAN_SCHEMA } from './hessian-schema.ts';
import { landscapeSchema, LANDSCAPE_SCHEMA } from './landscape-schema.ts';
import { readJsonFile } from './read-json.ts';
import { studySchema, STUDY_SCHEMA } from './study-schema.ts';
import { kindOf, type Known } from './schema-parts.ts';
import { trainLogSchema, TRAIN_LOG_SCHEMA } from './train-log-schema.ts';

/** Each result kind: the schema tags it is written with, and its structure. */
export const RESULT_KINDS = {
  eval: { tags: [EVAL_SCHEMA], schema: evalSchema },
  landscape: { tags: [LANDSCAPE_SCHEMA], schema: landscapeSchema },
  flatness: { tags: FLATNESS_TAGS, schema: flatnessSchema },
  'train log': { tags: [TRAIN_LOG_SCHEMA], schema: trainLogSchema },
  correlation: { tags: [CORRELATION_SCHEMA], schema: correlationSchema },
  baseline: { tags: [BASELINE_SCHEMA], schema: baselineSchema },
  check: { tags: [CHECK_SCHEMA], schema: checkSchema },
  study: { tags: [STUDY_SCHEMA], schema: studySchema },
  hessian: { tags: [HESSIAN_SCHEMA], schema: hessianSchema },
} as const;

export type ResultKind = keyof typeof RESULT_KINDS;
/** The typed result of a kind (EvalResult for 'eval', …): the fields its schema names. */
export type ResultOf<K extends ResultKind> = Known<z.output<(typeof RESULT_KINDS)[K]['schema']>>;

/** `a.b[0][3]`: a zod issue path as it would be written in JavaScript. */
export function fieldPath(path: readonly PropertyKey[]): string {
  const text = path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
  return text === '' ? 'top level' : text;
}

/** One line for zod's first issue: where, and what is wrong there (control characters escaped). */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const message = issue.message.replace(/^Invalid input: /, '').replace(/^Invalid input$/, 'invalid value');
  return JSON.stringify(`${fieldPath(issue.path)}: ${message}`)
    .slice(1, -1)
    .replace(/\\"/g, '"');
}

/** The schema tag of parsed JSON, if it has one. */
export function schemaTag(json: unknown): unknown {
  return json !== null && typeof json === 'object' && !Array.isArray(json)
    ? (json as { schema?: unknown }).schema
    : undefined;
}

/** The kind a schema tag belongs to, or undefined for an unknown tag. */
export function kindOfTag(tag: unknown): ResultKind | undefined {
  return (Object.keys(RESULT_KINDS) as ResultKind[]).find((k) =>
    (RESULT_KINDS[k].tags as readonly unknown[]).includes(tag),
  );
}

/** Validates parsed JSON as a result of `kind` read from `path` (for messages). */
export function parseResult<K extends ResultKind>(json: unknown, path: string, kind: K): ResultOf<K> {
  const { tags, schema } = RESULT_KINDS[kind];
  const tag = schemaTag(json);
  if (!(tags as readonly unknown[]).includes(tag)) {
    const found = tag === undefined ? `no schema tag (a JSON ${kindOf(json)})` : `schema ${JSON.stringify(tag)}`;
    throw new WeightscapeError(
      'bad-file',
      `${path}: not ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} result (${found}; expected ${tags.join(' or ')})`,
    );
  }
  const parsed = (schema as z.ZodType).safeParse(json);
  if (!parsed.success) throw new WeightscapeError('bad-file', `${path}: ${describeIssue(parsed.error)}`);
  return parsed.data as ResultOf<K>;
}

/** Reads and validates a result file of one kind. */
export function readResult<K extends ResultKind>(path: string, kind: K): ResultOf<K> {
  return parseResult(readJsonFile(path, `${kind} result`), path, kind);
}

/** Reads a result of any known kind, validated; JSON with an unknown or no schema tag comes back as is. */
export function readAnyResult(path: string): { kind: ResultKind | undefined; json: unknown } {
  const json = readJsonFile(path);
  const kind = kindOfTag(schemaTag(json));
  return { kind, json: kind === undefined ? json : parseResult(json, path, kind) };
}
