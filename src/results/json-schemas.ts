/**
 * The result schemas as JSON Schema (draft 2020-12), for readers outside TypeScript: one file per
 * kind under schemas/, written by `npm run schemas` and checked by a test to match the zod
 * schemas. They describe a file as it may be read (defaults optional, unknown keys allowed where
 * the zod schema allows them); checks zod runs in code are added where JSON Schema can say them,
 * and described where it cannot.
 */
import { z } from 'zod';
import { baselineCheckSchema } from './baseline-schema.ts';
import { hessianSchema } from './hessian-schema.ts';
import { landscapeSchema } from './landscape-schema.ts';
import { RESULT_KINDS, type ResultKind } from './read-result.ts';

/** The file each kind's JSON Schema is written to, under schemas/. */
export function jsonSchemaFile(kind: ResultKind): string {
  return `${kind.replace(/ /g, '-')}.schema.json`;
}

/** One kind's JSON Schema, as an object. */
export function jsonSchema(kind: ResultKind): Record<string, unknown> {
  const { tags, schema } = RESULT_KINDS[kind];
  const generated = z.toJSONSchema(schema as z.ZodType, {
    target: 'draft-2020-12',
    io: 'input',
    // A zod type with no JSON Schema equivalent must fail here, not be written as "anything".
    unrepresentable: 'throw',
    override: ({ zodSchema, jsonSchema: json }) => {
      // `.loose()` writes `additionalProperties: {}`; `true` says the same, plainly.
      if (
        json.type === 'object' &&
        json.properties !== undefined &&
        typeof json.additionalProperties === 'object' &&
        Object.keys(json.additionalProperties).length === 0
      ) {
        json.additionalProperties = true;
      }
      if (zodSchema === baselineCheckSchema) json.anyOf = [{ required: ['absolute'] }, { required: ['relative'] }];
      if (zodSchema === landscapeSchema) {
        json.$comment =
          'Also checked by weightscape: every table in values has one row per beta (one row when betas is null) ' +
          'and one value per alpha, and a complete result has no null.';
      }
      if (zodSchema === hessianSchema) {
        json.$comment =
          'Also checked by weightscape: density.density has one value per density.grid point, and each run ' +
          'of density.runs one weight per node.';
      }
    },
  });
  const { $schema, ...rest } = generated;
  return { $schema, title: `weightscape ${kind} file (${tags.join(' or ')})`, ...rest };
}

/** Every kind's JSON Schema file: name under schemas/ and text (2-space JSON, final newline). */
export function jsonSchemaFiles(): Array<{ file: string; text: string }> {
  return (Object.keys(RESULT_KINDS) as ResultKind[]).map((kind) => ({
    file: jsonSchemaFile(kind),
    text: `${JSON.stringify(jsonSchema(kind), null, 2)}\n`,
  }));
}
