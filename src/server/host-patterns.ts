// Host-header patterns: mlx's own names (loopback) and `--allowed-hosts` (MLflow 3's flag), matched as
// MLflow matches them (fnmatch-style `*`), with one difference: a pattern without a port matches the
// name on any port, as mlx's loopback check always has (DNS rebinding is about names, not ports).

/** A Host value split into name and port ([v6] names keep their brackets); null when it is neither. */
function split(text: string, port: RegExp): { name: string; port?: string } | null {
  const m = new RegExp(`^(\\[[^\\]]*\\]|[^:]*)(?::(${port.source}))?$`).exec(text);
  return m ? { name: m[1], port: m[2] } : null;
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

/** Whether a request's Host header (any case, maybe with :port) matches one of the patterns (lower case). */
export function hostMatches(patterns: string[], hostHeader: string): boolean {
  const host = hostHeader.toLowerCase();
  const h = split(host, /\d+/);
  if (!h || h.name === '') return false;
  return patterns.some((p) => {
    const q = split(p, /\d+|\*/);
    if (!q || q.port === undefined) return glob(p).test(h.name);
    return h.port !== undefined && glob(p).test(`${h.name}:${h.port}`);
  });
}

/** The 403 message of a Host outside --allowed-hosts. */
export function allowedHostsRefusal(host: string, allowed: string[]): string {
  return `${host ? `host ${JSON.stringify(host)}` : 'a request without a Host header'} is not served: this server answers only to --allowed-hosts ${allowed.join(',')}`;
}
