import type { ModelStage, ModelVersion, RegisteredModel } from '../../core/entities.js';
import { MlxError, notFound } from '../../core/errors.js';
import { validateAlias, validateKey, validateModelName, validateTagValue } from '../../core/validation.js';
import type { CreateModelVersionInput } from '../store.js';
import type { RestClient } from '../http-client.js';
import { modelVersionOf, registeredModelOf, tagList } from './convert.js';

type Json = Record<string, any>;

const isNotFound = (err: unknown) => err instanceof MlxError && err.code === 'RESOURCE_DOES_NOT_EXIST';
const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The model registry half of the REST store (model_registry.proto); RestStore holds one and
 * hands it the registry calls. The server reads and checks the model bytes itself, so
 * createModelVersion sends where the bytes are (storageLocation), and the server's facts
 * (sha256, signature, …) come back as mlx.* tags.
 */
export class RestRegistry {
  constructor(private readonly client: RestClient) {}

  private mlflow<T = Json>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', endpoint: string, fields: Json = {}): Promise<T> {
    return this.client.call<T>(method, `mlflow/${endpoint}`, fields);
  }

  /** Follows next_page_token until the server has nothing more. */
  private async allPages(method: 'GET' | 'POST', endpoint: string, field: string, fields: Json): Promise<Json[]> {
    const out: Json[] = [];
    let token: string | undefined;
    do {
      const res = await this.mlflow(method, endpoint, { ...fields, ...(token ? { page_token: token } : {}) });
      out.push(...((res[field] ?? []) as Json[]));
      token = res.next_page_token || undefined;
    } while (token);
    return out;
  }

  /** Creates a registered model (name, description, tags). */
  async createRegisteredModel(name: string, description = '', tags: Record<string, string> = {}): Promise<RegisteredModel> {
    validateModelName(name);
    for (const [k, v] of Object.entries(tags)) {
      validateKey('tag', k);
      validateTagValue(k, v);
    }
    const res = await this.mlflow('POST', 'registered-models/create', { name, description, tags: tagList(tags) });
    return registeredModelOf(res.registered_model);
  }

  /** One registered model by name. */
  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return registeredModelOf((await this.mlflow('GET', 'registered-models/get', { name })).registered_model);
  }

  /** Every registered model, by name. */
  async listRegisteredModels(): Promise<RegisteredModel[]> {
    const all = await this.allPages('GET', 'registered-models/search', 'registered_models', { max_results: 1000 });
    return all.map(registeredModelOf).sort(byName);
  }

  /** Renames a registered model (its versions follow). */
  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    validateModelName(newName);
    return registeredModelOf((await this.mlflow('POST', 'registered-models/rename', { name, new_name: newName })).registered_model);
  }

  /** Changes a model's description. */
  async updateRegisteredModel(name: string, input: { description?: string }): Promise<RegisteredModel> {
    if (input.description === undefined) return this.getRegisteredModel(name);
    return registeredModelOf((await this.mlflow('PATCH', 'registered-models/update', { name, description: input.description })).registered_model);
  }

  /** Deletes a model and its versions; the server frees the bytes, so nothing is left for the client to remove. */
  async deleteRegisteredModel(name: string): Promise<string[]> {
    await this.mlflow('DELETE', 'registered-models/delete', { name });
    return [];
  }

  /** Sets a tag on a registered model. */
  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    await this.mlflow('POST', 'registered-models/set-tag', { name, key, value });
  }

  /** Deletes a tag of a registered model. */
  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.mlflow('DELETE', 'registered-models/delete-tag', { name, key });
  }

  /**
   * Creates version N+1 from the bytes at input.storageLocation (an mlflow-artifacts:/ or runs:/
   * URI the server can read). Labels, preprocessing, the expected sha256 and the alias travel as
   * mlx.* input tags, so the server checks and stores them in the same transaction.
   */
  async createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    validateModelName(input.name);
    if (input.alias !== undefined) validateAlias(input.alias);
    for (const [k, v] of Object.entries(input.tags ?? {})) {
      validateKey('tag', k);
      validateTagValue(k, v);
    }
    const tags = {
      ...input.tags,
      ...(input.sha256 ? { 'mlx.sha256': input.sha256 } : {}),
      ...(input.labels ? { 'mlx.labels': JSON.stringify(input.labels) } : {}),
      ...(input.preprocess ? { 'mlx.preprocess': input.preprocess } : {}),
      ...(input.alias !== undefined ? { 'mlx.alias': input.alias } : {}),
    };
    const body = {
      name: input.name,
      source: input.storageLocation || input.source,
      ...(input.runId ? { run_id: input.runId } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      user_id: input.userId,
      tags: tagList(tags),
    };
    let res: Json;
    try {
      res = await this.mlflow('POST', 'model-versions/create', body);
    } catch (err) {
      // MLflow wants the model to exist first; mlx server creates it on first use.
      if (!isNotFound(err) || (await this.modelExists(input.name))) throw err;
      await this.createRegisteredModel(input.name, input.description ?? '').catch((e) => {
        if (!(e instanceof MlxError && e.code === 'RESOURCE_ALREADY_EXISTS')) throw e;
      });
      res = await this.mlflow('POST', 'model-versions/create', body);
    }
    let version = modelVersionOf(res.model_version);
    // A server without mlx's input tags (MLflow) stores mlx.alias as a plain tag: set the alias the standard way.
    if (input.alias !== undefined && !version.aliases.includes(input.alias)) {
      await this.setRegisteredModelAlias(input.name, input.alias, version.version);
      version = await this.getModelVersion(input.name, version.version);
    }
    return version;
  }

  private async modelExists(name: string): Promise<boolean> {
    try {
      await this.getRegisteredModel(name);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** One version of a model. */
  async getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return modelVersionOf((await this.mlflow('GET', 'model-versions/get', { name, version: String(version) })).model_version);
  }

  /** The version an alias points at. */
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return modelVersionOf((await this.mlflow('GET', 'registered-models/alias', { name, alias })).model_version);
  }

  /** The highest version of a model. */
  async getLatestModelVersion(name: string): Promise<ModelVersion> {
    const res = await this.mlflow('POST', 'registered-models/get-latest-versions', { name });
    const versions = ((res.model_versions ?? []) as Json[]).map(modelVersionOf);
    if (versions.length === 0) throw notFound(`registered model ${JSON.stringify(name)} has no versions`);
    return versions.reduce((a, b) => (b.version > a.version ? b : a));
  }

  /** Versions by model name and/or run id, by name then newest first (as the SQLite store orders them). */
  async searchModelVersions(filter: { name?: string; runId?: string }): Promise<ModelVersion[]> {
    const clauses = [
      ...(filter.name !== undefined ? [`name = ${quote(filter.name)}`] : []),
      ...(filter.runId !== undefined ? [`run_id = ${quote(filter.runId)}`] : []),
    ];
    const all = await this.allPages('GET', 'model-versions/search', 'model_versions', {
      ...(clauses.length ? { filter: clauses.join(' AND ') } : {}),
      max_results: 10_000,
    });
    return all.map(modelVersionOf).sort((a, b) => byName(a, b) || b.version - a.version);
  }

  /** Changes a version's description. */
  async updateModelVersion(name: string, version: number, input: { description?: string }): Promise<ModelVersion> {
    if (input.description === undefined) return this.getModelVersion(name, version);
    const res = await this.mlflow('PATCH', 'model-versions/update', { name, version: String(version), description: input.description });
    return modelVersionOf(res.model_version);
  }

  /** Deletes one version; the server frees its bytes. */
  async deleteModelVersion(name: string, version: number): Promise<string[]> {
    await this.mlflow('DELETE', 'model-versions/delete', { name, version: String(version) });
    return [];
  }

  /** Sets a tag on a version. */
  async setModelVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    await this.mlflow('POST', 'model-versions/set-tag', { name, version: String(version), key, value });
  }

  /** Deletes a tag of a version. */
  async deleteModelVersionTag(name: string, version: number, key: string): Promise<void> {
    await this.mlflow('DELETE', 'model-versions/delete-tag', { name, version: String(version), key });
  }

  /** Points (or moves) an alias at a version. */
  async setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void> {
    validateAlias(alias);
    await this.mlflow('POST', 'registered-models/alias', { name, alias, version: String(version) });
  }

  /** Removes an alias. */
  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.mlflow('DELETE', 'registered-models/alias', { name, alias });
  }

  /** Moves a version to an MLflow stage (model-versions/transition-stage). */
  async transitionModelVersionStage(name: string, version: number, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion> {
    const res = await this.mlflow('POST', 'model-versions/transition-stage', {
      name,
      version: String(version),
      stage,
      archive_existing_versions: archiveExisting,
    });
    return modelVersionOf(res.model_version);
  }

  /** Where a version's bytes can be downloaded: an mlflow-artifacts:/ URI (model-versions/get-download-uri). */
  async getModelVersionDownloadUri(name: string, version: number): Promise<string> {
    return (await this.mlflow<{ artifact_uri: string }>('GET', 'model-versions/get-download-uri', { name, version: String(version) })).artifact_uri;
  }

  /** The model card the server keeps for a version (mlx extension). */
  async getModelCard(name: string, version: number): Promise<string> {
    return (await this.client.call<{ markdown: string }>('GET', 'mlx/model-versions/card', { name, version: String(version) })).markdown;
  }

  /** Stores a version's model card on the server (mlx extension). */
  async putModelCard(name: string, version: number, markdown: string): Promise<void> {
    await this.client.call('POST', 'mlx/model-versions/card', { name, version: String(version), markdown });
  }

  /** The data schema the server keeps for a version, or null (mlx extension; an MLflow server keeps none). */
  async getModelSchema(name: string, version: number): Promise<string | null> {
    if (!(await this.keepsModelSchemas())) return null;
    return (await this.client.call<{ schema?: string }>('GET', 'mlx/model-versions/schema', { name, version: String(version) })).schema ?? null;
  }

  /** Stores a version's data schema on the server (mlx extension), which validates it first. */
  async putModelSchema(name: string, version: number, json: string): Promise<void> {
    await this.client.call('POST', 'mlx/model-versions/schema', { name, version: String(version), schema: json });
  }

  private schemas?: Promise<boolean>;
  /** Whether the server says it keeps data schemas (mlx/server-info), asked once. */
  keepsModelSchemas(): Promise<boolean> {
    return (this.schemas ??= this.client.call<{ schemas?: boolean }>('GET', 'mlx/server-info').then(
      (info) => info.schemas === true,
      // Unknown to the server (MLflow's answers 404): it keeps none. Anything else (a refused token, a
      // server down) is that problem, not a missing feature.
      (err: unknown) => {
        if (err instanceof MlxError && err.code === 'RESOURCE_DOES_NOT_EXIST') return false;
        throw err;
      },
    ));
  }
}
