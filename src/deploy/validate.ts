import { quoteJson } from '../core/control-chars.js';
import { invalid } from '../core/errors.js';

// Values from the command line are checked here in deploy's own terms ("\"abc\" must be a CPU
// quantity…"); the CLI says which flag gave them. Quoted with control characters escaped, so a
// message stays one visible line.
const show = (s: string) => quoteJson(s);

// The grammar of github.com/distribution/reference (what `docker build -t` accepts), without digests.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?$`);

/** Checks an image reference such as `registry.example.com:5000/team/pets-classifier:3` as Docker would. */
export function validateImageTag(tag: string): void {
  const m = REFERENCE.exec(tag);
  if (!m || m[1].length > 255)
    throw invalid(
      `image tag ${show(tag)} is not a valid Docker image reference: use lowercase letters, digits and . _ - in the name, ` +
        'an optional registry host and a :tag, e.g. registry.example.com/team/pets-classifier:3',
    );
}

/** A name made of lowercase letters, digits and dashes (DNS-1123 label, Docker repository): `Pets_Classifier.v2` → `pets-classifier-v2`. */
export function slug(text: string, max = 63): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
  return s || 'model';
}

/**
 * A Kubernetes object name: a DNS-1123 label (namespaces: up to 63 lowercase letters, digits, "-")
 * or, with subdomain, a DNS-1123 subdomain (Secrets, StorageClasses: up to 253, "." allowed too).
 */
export function validateK8sName(name: string, what: string, subdomain = false): void {
  const re = subdomain ? /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/ : /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  const max = subdomain ? 253 : 63;
  if (!re.test(name) || name.length > max)
    throw invalid(`${show(name)} is not a valid Kubernetes ${what}: up to ${max} lowercase letters, digits and "-"${subdomain ? ' or "."' : ''}`);
}

/** A Kubernetes namespace (a DNS-1123 label). */
export function validateNamespace(ns: string): void {
  validateK8sName(ns, 'namespace');
}

/** A node.js version for the base image tag: 20, 22 or 22.11.0; mlx needs 20 or newer. */
export function validateNodeVersion(v: string): void {
  if (!/^\d+(\.\d+){0,2}$/.test(v)) throw invalid(`${show(v)} must be a Node.js version such as 20, 22 or 22.11.0`);
  if (Number(v.split('.')[0]) < 20) throw invalid(`${show(v)} is older than mlx supports; use 20 or newer`);
}

export interface CpuQuantity {
  /** As Kubernetes writes it: "500m", "2". */
  k8s: string;
  /** As Compose writes it: "0.5", "2". */
  cores: string;
  millis: number;
}

/** Parses a CPU quantity as Kubernetes does ("500m", "1", "1.5") into its Kubernetes and Compose forms. */
export function parseCpu(text: string): CpuQuantity {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(t);
  const millis = m ? Math.round(Number(m[1]) * (m[2] ? 1 : 1000)) : NaN;
  if (!m || !(millis >= 10) || millis > 1_024_000) throw invalid(`${show(text)} must be a CPU quantity from 10m to 1024, e.g. 500m, 1 or 1.5`);
  return { k8s: millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`, cores: String(millis / 1000), millis };
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

export interface MemoryQuantity {
  /** As Kubernetes writes it: "512Mi", "1Gi". */
  k8s: string;
  /** As Compose writes it: "512M" (mebibytes, Docker's units) or a byte count "1000000000b". */
  compose: string;
  bytes: number;
}

/**
 * Parses a byte quantity as Kubernetes does ("512Mi", "1Gi", "1G") for memory or storage sizes; Docker's "512m" is refused, since Kubernetes reads it as millibytes.
 */
export function parseByteQuantity(text: string, what: string, examples: string): MemoryQuantity {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(t);
  const hint = /^\d+(\.\d+)?[mg]b?$/i.test(t)
    ? `; Kubernetes units are Mi and Gi (${t.replace(/[mg]b?$/i, (u) => (u[0].toLowerCase() === 'm' ? 'Mi' : 'Gi'))})`
    : '';
  const bytes = m ? Math.round(Number(m[1]) * MEMORY_UNITS[m[2] ?? '']) : NaN;
  if (!m || !(bytes >= 64 * 2 ** 20) || bytes > 2 ** 50) throw invalid(`${show(text)} must be a ${what} quantity of at least 64Mi, e.g. ${examples}${hint}`);
  const mib = bytes / 2 ** 20;
  return { k8s: t, compose: Number.isInteger(mib) ? `${mib}M` : `${bytes}b`, bytes };
}

/** Parses a memory quantity as Kubernetes does. */
export function parseMemory(text: string): MemoryQuantity {
  return parseByteQuantity(text, 'memory', '512Mi, 1Gi or 2G');
}
