import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

type YamlModule = typeof import('yaml');
let loaded: YamlModule | null = null;

/**
 * The yaml package, loaded on first use: it is 70-odd modules, and a `mlx repro` with nothing to
 * do finds mlx.yaml, params.yaml and mlx.lock parsed already in the YamlCache, so never loads it.
 */
export function yaml(): YamlModule {
  loaded ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return loaded;
}

const VERSION = 1;
/** A file written this recently may change again within its timestamp's tick: parsed, not trusted by its stat. */
const RACY_NS = 2_000_000_000n;

/**
 * Parsed YAML files of a project keyed by (inode, size, mtime, ctime), as the stat cache keys
 * digests: an unchanged mlx.yaml, params file or mlx.lock is read back as JSON, not parsed again.
 */
export class YamlCache {
  private entries: Record<string, { stamp: string; value: unknown }> = {};
  private dirty = false;

  constructor(private readonly file: string | null) {
    if (!file) return;
    try {
      const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: number; entries?: YamlCache['entries'] };
      if (doc.version === VERSION && doc.entries && typeof doc.entries === 'object') this.entries = doc.entries;
    } catch {
      // none yet, or damaged: parsing again is all it costs
    }
  }

  /** parse(text of full), or its cached result when the file's stamp is the one it was parsed at. */
  get(full: string, parse: (text: string) => unknown): unknown {
    const st = fs.statSync(full, { bigint: true });
    const stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const hit = this.entries[full];
    if (hit && hit.stamp === stamp) return hit.value;
    const text = fs.readFileSync(full, 'utf8');
    const value = parse(text);
    // JSON keeps what YAML's core schema makes except .inf and .nan: such files are parsed each time.
    if (this.file && BigInt(Date.now()) * 1_000_000n - st.mtimeNs > RACY_NS && !/\.(inf|nan)\b/i.test(text)) {
      this.entries[full] = { stamp, value };
      this.dirty = true;
    }
    return value;
  }

  /** Writes the cache when it learned something (atomically). */
  save(): void {
    if (!this.file || !this.dirty) return;
    for (const f of Object.keys(this.entries)) if (!fs.existsSync(f)) delete this.entries[f];
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ version: VERSION, entries: this.entries }));
    fs.renameSync(tmp, this.file);
    this.dirty = false;
  }
}
