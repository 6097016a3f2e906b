import fs from 'node:fs';
import type { ModelVersion } from '../core/entities.js';
import { MlxError, usage } from '../core/errors.js';
import { parseModelUri } from '../core/uri.js';
import { parseSchema, readSchemaFile } from '../data/validation/schema-file.js';
import { RowGuard } from '../data/validation/row-guard.js';
import type { DataSchema } from '../data/validation/schema.js';
import { modelFiles } from '../models/open-model-files.js';
import { versionBySelector } from '../models/uri.js';
import type { RegistryStore } from '../store/store.js';

/** `--schema FILE` of mlx register: checked as mlx data validate checks it (a bad file: exit 1; an empty value: exit 2), kept as written. */
export function schemaOption(flag: string, file: string): { file: string; text: string; schema: DataSchema } {
  if (file.trim() === '') throw usage(`${flag} needs a schema file, e.g. ${flag} schema.json (write one with mlx data profile DATA --out schema.json)`);
  const schema = readSchemaFile(file);
  return { file, text: fs.readFileSync(file, 'utf8'), schema };
}

/** The data schema registered with a version (mlx register --schema), or null when it has none. */
export async function versionSchema(store: RegistryStore, v: ModelVersion): Promise<DataSchema | null> {
  const files = await modelFiles(store).catch(() => null);
  const text = files?.readSchema ? await files.readSchema(v) : null;
  return text === null ? null : parseSchema(text, `the data schema of models:/${v.name}/${v.version}`);
}

/** One line about a schema: "12 expectations (9 checked per row), inferred from train.csv (300 rows)". */
export function schemaSummary(schema: DataSchema): string {
  const perRow = new RowGuard(schema).size;
  const ref = schema.reference ? `, inferred from ${schema.reference.source} (${schema.reference.rows} rows)` : '';
  return `${schema.expectations.length} expectations (${perRow} checked per row by mlx serve)${ref}`;
}

/**
 * The data schema registered with the version a models:/ URI names (mlx serve without --schema), or
 * null: another kind of URI, a version without one, or one that does not resolve (serving says why).
 */
export async function registeredSchema(store: RegistryStore, uri: string): Promise<{ schema: DataSchema; name: string } | null> {
  let ref;
  try {
    ref = parseModelUri(uri);
  } catch {
    return null;
  }
  if (ref.kind !== 'registry') return null;
  const v = await versionBySelector(store, ref.name, ref.selector).catch(() => null);
  if (!v) return null;
  const schema = await versionSchema(store, v);
  return schema ? { schema, name: registeredName(v) } : null;
}

const registeredName = (v: ModelVersion) => `registered with models:/${v.name}/${v.version}`;

/** For mlx serve over an alias: the checker of the schema registered with a version it swaps to, or null when it has none. */
export function schemaOfVersion(store: RegistryStore): (v: ModelVersion) => Promise<{ guard: RowGuard; name: string } | null> {
  return async (v) => {
    const schema = await versionSchema(store, v);
    return schema ? { guard: new RowGuard(schema), name: registeredName(v) } : null;
  };
}

/**
 * `--schema models:/NAME/V` of mlx data validate and mlx monitor: the schema registered with that
 * version. A URI that is not a registry one is a usage error; a version without a schema says how
 * to give it one.
 */
export async function schemaOfModelUri(store: RegistryStore, flag: string, uri: string): Promise<{ schema: DataSchema; name: string }> {
  const ref = parseModelUri(uri);
  if (ref.kind !== 'registry') throw usage(`${flag} ${JSON.stringify(uri)}: give a schema file or a registered version (models:/NAME/V, models:/NAME@ALIAS)`);
  const v = await versionBySelector(store, ref.name, ref.selector);
  const schema = await versionSchema(store, v);
  if (!schema)
    throw new MlxError(
      'RESOURCE_DOES_NOT_EXIST',
      `${flag} ${uri}: version ${v.version} of ${v.name} has no registered data schema; give a schema file, or register the model with mlx register --schema FILE`,
    );
  return { schema, name: registeredName(v) };
}
