#!/usr/bin/env node
/**
 * Writes docs/policy.schema.json from the valibot schema in src/core/policy/policy-schema.ts, so the
 * published JSON Schema can never drift from what the extension validates.
 *
 * Node 20 cannot import TypeScript, so esbuild bundles the schema into memory and we import the
 * result from a data: URL. A unit test (src/core/policy/policy-schema.test.ts) fails when the file is stale.
 */
import { build } from 'esbuild';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_FILE = path.join(ROOT, 'docs', 'policy.schema.json');

/** The JSON Schema object for the signed policy payload (docs/policy.schema.json). */
export async function generatePolicySchema() {
  const entry = `
    import { toJsonSchema } from '@valibot/to-json-schema';
    import { PolicySchema } from './src/core/policy/policy-schema.ts';
    // valibot checks (dates that Date.parse reads, domains the matcher can use) have no JSON Schema
    // form; the extension still enforces them.
    export default toJsonSchema(PolicySchema, { errorMode: 'ignore' });
  `;
  const out = await build({
    stdin: { contents: entry, resolveDir: ROOT, sourcefile: 'gen-schema-entry.js', loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].text;
  const mod = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  const { $schema, ...rest } = mod.default;
  return {
    $schema,
    $id: 'https://ai-geofence.example/policy.schema.json',
    title: 'AI Geofence signed policy payload',
    description:
      'The JSON payload of the JWS at policyUrl. Generated from src/core/policy/policy-schema.ts by `npm run schema`; do not edit by hand.',
    ...rest,
  };
}

/** The file's exact text: 2-space JSON and a final newline. */
export async function policySchemaText() {
  return `${JSON.stringify(await generatePolicySchema(), null, 2)}\n`;
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  await writeFile(SCHEMA_FILE, await policySchemaText());
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}
