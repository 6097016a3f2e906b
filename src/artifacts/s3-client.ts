// The S3 client and its errors. Imported only through s3-repository.ts, which open-repository.ts
// loads when an s3:// URI is used: the AWS SDK costs ~150 ms to load, and no other command pays it.
// The SDK warns on every start that later versions will need Node 22: mlx pins a version that
// runs on Node 20, so the warning would only be noise on every command's stderr (it is
// emitted when a client is built, after this module has run).
import { S3Client } from '@aws-sdk/client-s3';
import { MlxError, notFound } from '../core/errors.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Where the client sends requests, as the standard variables say (never the credentials: the SDK reads those itself). */
export interface S3Endpoint {
  /** A MinIO / Ceph / R2 style endpoint (MLFLOW_S3_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL); undefined: AWS itself. */
  endpoint?: string;
  /** Path-style addressing (http://host/bucket/key): the default with a custom endpoint, as MinIO needs. */
  pathStyle: boolean;
  region?: string;
}

/** The endpoint settings from the environment: MLflow's variable first, then the AWS SDK's own. */
export function s3EndpointFromEnv(env: NodeJS.ProcessEnv = process.env): S3Endpoint {
  const endpoint = env.MLFLOW_S3_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/i.test(endpoint))
    throw new MlxError('INVALID_PARAMETER_VALUE', `S3 endpoint ${JSON.stringify(endpoint)} must be an http(s) URL such as http://127.0.0.1:9000`);
  const style = (env.MLX_S3_ADDRESSING_STYLE ?? '').toLowerCase();
  if (style !== '' && style !== 'path' && style !== 'virtual')
    throw new MlxError('INVALID_PARAMETER_VALUE', `MLX_S3_ADDRESSING_STYLE ${JSON.stringify(env.MLX_S3_ADDRESSING_STYLE)} must be path or virtual`);
  const pathStyle = style === '' ? endpoint !== undefined : style === 'path';
  // MinIO and most S3-compatible servers ignore the region but the signature needs one.
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || (endpoint !== undefined ? 'us-east-1' : undefined);
  return { endpoint, pathStyle, region };
}

const clients = new Map<string, S3Client>();

/** One client per endpoint setting for the process (it holds the connection pool). */
export function s3Client(e: S3Endpoint): S3Client {
  const key = JSON.stringify(e);
  let client = clients.get(key);
  if (!client) {
    client = new S3Client({
      endpoint: e.endpoint,
      forcePathStyle: e.pathStyle,
      region: e.region,
      // S3-compatible servers (older MinIO, Ceph, s3rver) refuse or mangle the CRC32 trailers the
      // SDK adds by default; mlx verifies every object's sha256 itself (s3-repository.ts).
      requestChecksumCalculation: e.endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      responseChecksumValidation: e.endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    });
    clients.set(key, client);
  }
  return client;
}

const CREDENTIAL_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'Forbidden',
]);
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * An SDK error as one line that names the place (`s3://bucket/prefix`, never a credential) and
 * what to do. `what`: the object or folder the call was about, for "does not exist".
 */
export function s3Error(err: unknown, place: string, endpoint: S3Endpoint, what?: string): MlxError {
  if (err instanceof MlxError) return err;
  const e = err as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.Code ?? e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const where = endpoint.endpoint ? ` at ${endpoint.endpoint}` : '';
  const detail = `${name}${e.message && e.message !== name && e.message !== 'UnknownError' ? `: ${e.message}` : ''}`;
  if (name === 'NoSuchBucket') return notFound(`the bucket of ${place} does not exist${where}; create it (aws s3 mb, mc mb) or fix the location`, err);
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return notFound(`${what ?? place} does not exist in ${place}`, err);
  if (CREDENTIAL_ERRORS.has(name) || status === 403)
    return new MlxError(
      'PERMISSION_DENIED',
      `S3${where} refused access to ${place} (${detail}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, and the bucket's policy`,
      { cause: err },
    );
  if (name === 'CredentialsProviderError')
    return new MlxError(
      'UNAUTHENTICATED',
      `no AWS credentials to reach ${place}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (~/.aws/credentials)`,
      { cause: err },
    );
  if (/region is missing/i.test(e.message ?? ''))
    return new MlxError('INVALID_PARAMETER_VALUE', `no AWS region for ${place}: set AWS_REGION (or a region in ~/.aws/config)`, { cause: err });
  const code = e.code ?? (err as { cause?: { code?: string } }).cause?.code;
  if (code && NETWORK_ERRORS.has(code))
    return new MlxError(
      'TEMPORARILY_UNAVAILABLE',
      `cannot reach the S3 endpoint${where || ' of AWS'} for ${place} (${code}); check AWS_ENDPOINT_URL or MLFLOW_S3_ENDPOINT_URL and the network`,
      { cause: err },
    );
  return new MlxError('INTERNAL_ERROR', `S3${where} failed on ${place}: ${detail}`, { cause: err });
}
