// `mlflow server`'s command line on `mlx server`: the flags real deployment scripts pass, each
// mapped onto what mlx does (or refused in one line saying why), so a script moves over unchanged.
// The table in the README ("Coming from mlflow server") lists the same mapping for users.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { isHttpUri, redactUri } from '../core/uri.js';
import { resolveTrackingUri } from '../store/open-store.js';
import { intFlag, shown, usage } from './flags.js';

export interface MlflowServerFlags {
  /** --serve-artifacts (true) / --no-serve-artifacts (false); undefined: neither given (serving, as MLflow 2+). */
  serveArtifacts?: boolean;
  artifactsOnly?: boolean;
  registryStoreUri?: string;
  allowedHosts?: string;
  corsAllowedOrigins?: string;
  workers?: string;
  gunicornOpts?: string;
  uvicornOpts?: string;
  waitressOpts?: string;
  staticPrefix?: string;
  exposePrometheus?: string;
  appName?: string;
  dev?: boolean;
  xFrameOptions?: string;
  disableSecurityMiddleware?: boolean;
}

/**
 * MLflow flags mlx does not take, each refused with what to do instead (rather than commander's
 * bare "unknown option"); hidden from --help.
 */
const REFUSED: [flag: string, key: keyof MlflowServerFlags, why: string][] = [
  ['--static-prefix', 'staticPrefix', 'mlx server serves at the root of its port; put it behind a proxy that strips the prefix'],
  ['--expose-prometheus', 'exposePrometheus', 'mlx server has no Prometheus endpoint (mlx serve has /metrics); watch /health and /ready'],
  ['--app-name', 'appName', 'mlx server has no MLflow auth apps; use --token (clients send it as MLFLOW_TRACKING_TOKEN or MLX_TRACKING_TOKEN)'],
  ['--dev', 'dev', 'mlx server has no debug reload; MLX_DEBUG=1 prints stack traces'],
  ['--x-frame-options', 'xFrameOptions', "mlx server's UI already refuses every frame (frame-ancestors 'none')"],
  [
    '--disable-security-middleware',
    'disableSecurityMiddleware',
    "mlx's checks are loosened one by one: --allowed-hosts '*', --cors-allowed-origins, --allow-unauthenticated",
  ],
];

/** What mlx does with MLflow's flags, after checking them. */
export interface MlflowServerSettings {
  serveArtifacts: boolean;
  artifactsOnly: boolean;
  /** --allowed-hosts: host[:port] patterns the Host header must match; '*' for any; undefined: mlx's own rule. */
  allowedHostPatterns?: string[] | '*';
  /** --cors-origin and --cors-allowed-origins together; '*' for any. */
  corsOrigins?: string[];
  /** One line each for stderr: flags accepted and ignored, and why. */
  warnings: string[];
}

/** MLflow's `mlflow server` flags, on `mlx server` only (`mlx ui` is the local viewer). */
export function mlflowServerOptions(cmd: Command): Command {
  return cmd
    .option('--serve-artifacts', 'serve the artifact proxy (mlflow-artifacts:/), the default')
    .option(
      '--no-serve-artifacts',
      "turn the artifact proxy off (its routes answer MLflow's 503): clients write to new experiments' --default-artifact-root themselves",
    )
    .option('--artifacts-only', 'serve only the artifact proxy (and /health, /version): the tracking and registry API answer 503, as MLflow')
    .option('--registry-store-uri <uri>', 'accepted when it is the backend store: mlx keeps the registry in the tracking store')
    .option('--allowed-hosts <list>', "MLflow 3's Host check: comma-separated host[:port] patterns (* wildcards), or * for any")
    .option('--cors-allowed-origins <list>', "MLflow 3's name for --cors-origin: comma-separated origins, or * (needs --token or --allow-unauthenticated)")
    .option('-w, --workers <n>', 'accepted and ignored: mlx server is one asynchronous process (run replicas for more)')
    .option('--gunicorn-opts <opts>', 'accepted and ignored (no gunicorn); TLS and bind options are refused')
    .option('--uvicorn-opts <opts>', 'accepted and ignored (no uvicorn); TLS and bind options are refused')
    .option('--waitress-opts <opts>', 'accepted and ignored (no waitress); TLS and bind options are refused')
    .addOption(new Option('--static-prefix <prefix>').hideHelp())
    .addOption(new Option('--expose-prometheus <dir>').hideHelp())
    .addOption(new Option('--app-name <name>').hideHelp())
    .addOption(new Option('--dev').hideHelp())
    .addOption(new Option('--x-frame-options <value>').hideHelp())
    .addOption(new Option('--disable-security-middleware').hideHelp());
}

/** mlflow server's environment variables and their flags: not read (mlx has its own precedence), but named at start so a moved deployment does not silently lose them. */
const MLFLOW_ENV: [variable: string, flag: string][] = [
  ['MLFLOW_BACKEND_STORE_URI', '--backend-store-uri'],
  ['MLFLOW_REGISTRY_STORE_URI', '--registry-store-uri'],
  ['MLFLOW_DEFAULT_ARTIFACT_ROOT', '--default-artifact-root'],
  ['MLFLOW_SERVE_ARTIFACTS', '--serve-artifacts'],
  ['MLFLOW_ARTIFACTS_ONLY', '--artifacts-only'],
  ['MLFLOW_ARTIFACTS_DESTINATION', '--artifacts-destination'],
  ['MLFLOW_HOST', '--host'],
  ['MLFLOW_PORT', '--port'],
  ['MLFLOW_WORKERS', '--workers'],
  ['MLFLOW_GUNICORN_OPTS', '--gunicorn-opts'],
  ['MLFLOW_SERVER_ALLOWED_HOSTS', '--allowed-hosts'],
  ['MLFLOW_SERVER_CORS_ALLOWED_ORIGINS', '--cors-allowed-origins'],
];

const ORIGIN = /^https?:\/\/[^/\s,]+$/;

/** Options of a Python web server that change who can reach mlx or how (TLS, the address): ignoring them would mislead. */
const BINDING_OPTS = /(?:^|\s)(?:--(?:certfile|keyfile|ca-certs|ssl[-_][\w-]+|bind|listen|host|port|url-scheme|uds|fd)\b|-b(?:\s|$|\d))/;

/** Comma-separated list as MLflow splits it: entries trimmed, empty ones dropped. */
function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** --allowed-hosts: each entry a host name or address with an optional :port, * as a wildcard. */
function hostPatterns(text: string): string[] | '*' {
  const patterns = list(text).map((p) => p.toLowerCase());
  if (patterns.length === 0) throw usage(`--allowed-hosts ${shown(text)} lists no host; give host[:port] patterns separated by commas, or * for any`);
  if (patterns.includes('*')) return '*';
  for (const p of patterns)
    if (!/^(?:\[[0-9a-f:.*]+\]|[a-z0-9*._-]+)(?::(?:\d{1,5}|\*))?$/.test(p))
      throw usage(
        `--allowed-hosts ${shown(text)}: ${shown(p)} is not a host[:port] pattern; give names such as mlflow.example.com, mlflow.example.com:5000, *.internal or 10.0.*`,
      );
  return patterns;
}

/** --cors-origin (one origin, mlx's) and --cors-allowed-origins (MLflow 3's comma-separated list, or *). */
function corsOrigins(f: { corsOrigin?: string; corsAllowedOrigins?: string }, open: boolean): string[] | undefined {
  if (f.corsOrigin !== undefined && f.corsAllowedOrigins !== undefined)
    throw usage("--cors-origin and --cors-allowed-origins are the same setting (mlx's name and MLflow's); give one of them");
  if (f.corsOrigin !== undefined) {
    if (!ORIGIN.test(f.corsOrigin))
      throw usage(`--cors-origin ${shown(f.corsOrigin)} must be an origin such as https://ml.example.com (scheme and host, no path)`);
    return [f.corsOrigin];
  }
  if (f.corsAllowedOrigins === undefined) return undefined;
  const origins = list(f.corsAllowedOrigins);
  if (origins.length === 0)
    throw usage(`--cors-allowed-origins ${shown(f.corsAllowedOrigins)} lists no origin; give origins such as https://ml.example.com, separated by commas`);
  if (origins.includes('*')) {
    if (!open)
      throw usage(
        '--cors-allowed-origins *: any web page you visit could then read and change every run of this server; pass --token (pages cannot send it), or --allow-unauthenticated, or list the origins',
      );
    return ['*'];
  }
  for (const o of origins)
    if (!ORIGIN.test(o))
      throw usage(`--cors-allowed-origins: ${shown(o)} is not an origin; give scheme and host such as https://ml.example.com (no path), separated by commas`);
  return origins;
}

/** The same store, however it is spelled: folders compared resolved, URIs as written. */
function sameStore(a: string, b: string): boolean {
  return a === b || (!/^[a-z][a-z0-9+.-]*:\/\//i.test(a) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(b) && path.resolve(a) === path.resolve(b));
}

/**
 * Checks MLflow's flags against each other and against mlx's: backendUri is the store the server
 * will serve (resolved), token whether one is required. Refusals are usage errors (exit 2) naming
 * the flag and value; flags of MLflow's process model are accepted with a warning.
 */
export function mlflowServerSettings(
  f: MlflowServerFlags & { corsOrigin?: string; defaultArtifactRoot?: string; allowUnauthenticated?: boolean },
  backendUri: string,
  token: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): MlflowServerSettings {
  for (const [flag, key, why] of REFUSED) if (f[key] !== undefined && f[key] !== false) throw usage(`${flag} is MLflow's and not taken by mlx server: ${why}`);
  const serveArtifacts = f.serveArtifacts !== false;
  const artifactsOnly = !!f.artifactsOnly;
  if (artifactsOnly && !serveArtifacts)
    throw usage('--artifacts-only serves only the artifact proxy, and --no-serve-artifacts turns the proxy off: give one of them');
  if (!serveArtifacts && f.defaultArtifactRoot === undefined)
    throw usage(
      "--no-serve-artifacts: clients then write artifacts to new experiments' location themselves, so give it: --default-artifact-root s3://BUCKET/PREFIX (clients need S3 credentials), mlflow-artifacts://HOST:PORT/PATH (an artifacts-only server) or a folder every client mounts at the same path",
    );
  if (artifactsOnly && f.defaultArtifactRoot !== undefined)
    throw usage(
      '--default-artifact-root sets where new experiments keep their artifacts, and an --artifacts-only server serves no experiments; drop one of them',
    );
  if (f.registryStoreUri !== undefined) {
    let registry: string;
    try {
      registry = resolveTrackingUri({ flag: f.registryStoreUri });
    } catch {
      registry = f.registryStoreUri;
    }
    if (isHttpUri(registry) || !sameStore(registry, backendUri))
      throw usage(
        `--registry-store-uri ${shown(redactUri(f.registryStoreUri))} is not the backend store ${shown(redactUri(backendUri))}: mlx keeps the model registry in the tracking store (a version and its run in one database); drop --registry-store-uri, or give the backend store's URI`,
      );
  }
  const warnings: string[] = [];
  if (f.workers !== undefined) {
    const n = intFlag('--workers', f.workers, { min: 1, max: 1024 });
    warnings.push(
      `--workers ${n} ignored: mlx server is one asynchronous process (no gunicorn or uvicorn workers); for more, run replicas on one PostgreSQL store behind a load balancer`,
    );
  }
  for (const [flag, value, server] of [
    ['--gunicorn-opts', f.gunicornOpts, 'gunicorn'],
    ['--uvicorn-opts', f.uvicornOpts, 'uvicorn'],
    ['--waitress-opts', f.waitressOpts, 'waitress'],
  ] as const) {
    if (value === undefined) continue;
    if (BINDING_OPTS.test(value))
      throw usage(
        `${flag} ${shown(value)} sets TLS or the listening address, which mlx server would not apply: use --host and --port, and put a TLS-terminating proxy (nginx, a load balancer) in front for https`,
      );
    warnings.push(`${flag} ignored: mlx server runs no ${server}; its own limits are --max-body-mb, --max-upload-mb and --upload-idle-timeout`);
  }
  const unread = MLFLOW_ENV.filter(([v]) => (env[v] ?? '') !== '');
  if (unread.length > 0)
    warnings.push(
      `${unread.map(([v]) => v).join(', ')} ${unread.length === 1 ? 'is' : 'are'} mlflow server's and not read by mlx server: pass ${unread.map(([, flag]) => flag).join(', ')} instead`,
    );
  const allowedHostPatterns = f.allowedHosts === undefined ? undefined : hostPatterns(f.allowedHosts);
  if (allowedHostPatterns === '*' && !token)
    warnings.push(
      '--allowed-hosts *: the Host check against DNS rebinding is off, and this server has no token: any web page could reach it through a rebound name',
    );
  return { serveArtifacts, artifactsOnly, allowedHostPatterns, corsOrigins: corsOrigins(f, !!token || !!f.allowUnauthenticated), warnings };
}
