import { escapeControlChars } from '../core/control-chars.js';
import { NOT_SERVABLE_TAG, type ModelVersion, type Run, type TensorSpec } from '../core/entities.js';
import { renderTemplate } from '../core/template.js';
import { parsePreprocessSpec } from './preprocess-spec.js';

export interface ModelCardData {
  version: ModelVersion;
  /** The run that produced the model, when known. */
  run: Run | null;
  /** History-free experiment name of that run, for the lineage section. */
  experimentName?: string;
}

// Values from the ONNX file, the run and the registry stay on their line: control characters (line
// breaks, terminal escapes) are shown as escapes, and a table cell's pipes are escaped as GFM asks.
const text = (s: string) => escapeControlChars(s);
const cell = (s: string) => text(s).replace(/\|/g, '\\|');

/** The description as Markdown of the owner's: its own line breaks kept (\r\n and \r as \n), other controls escaped. */
const markdown = (s: string) => escapeControlChars(s.replace(/\r\n?/g, '\n'), '\n\t');

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

function shape(t: TensorSpec): string {
  return `[${t.shape.map((d, i) => (d === -1 ? (t.dimNames?.[i] ?? '?') : String(d))).join(', ')}]`;
}

function describeSpec(text: string | null): string {
  if (!text) return 'None recorded: clients send tensors in the shape of the signature.';
  const s = parsePreprocessSpec(text);
  if (s.kind === 'tabular') return `\`${text}\`: rows of numbers in the order of the input's features, sent as they are.`;
  return [
    `\`${text}\``,
    '',
    `- resize to ${s.width}×${s.height} (${s.resize}), ${s.color.toUpperCase()} channels`,
    `- multiply pixel values (0–255) by ${s.scale}, then subtract mean ${s.mean.join('/')} and divide by std ${s.std.join('/')}`,
    `- lay out as ${s.layout.toUpperCase()}; softmax on the output: ${s.softmax}`,
  ].join('\n');
}

/** The card's first line: the description's, else what the version is (and, when mlx cannot serve it, why). */
function summaryOf(v: ModelVersion): string {
  if (v.description) return text(v.description.split(/\r\n|\r|\n/)[0]);
  const why = v.tags[NOT_SERVABLE_TAG];
  if (why !== undefined) return `Registered from \`${text(v.source)}\`. mlx cannot serve it: this version ${text(why)}.`;
  return 'An ONNX model registered with mlx.';
}

const num = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v));

/** Renders the Markdown model card of a version from templates/model-card.md. */
export function renderModelCard(template: string, d: ModelCardData): string {
  const v = d.version;
  const run = d.run;
  // Registered from a source mlx cannot read (another flavor, nothing uploaded yet): no bytes, no facts.
  const opaque = v.sha256 === '';
  const created = new Date(v.creation_time)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const sig = [
    '**Inputs**',
    '',
    table(
      ['name', 'type', 'shape'],
      v.signature.inputs.map((t) => [`\`${t.name}\``, t.type, shape(t)]),
    ),
    '',
    '**Outputs**',
    '',
    table(
      ['name', 'type', 'shape'],
      v.signature.outputs.map((t) => [`\`${t.name}\``, t.type, shape(t)]),
    ),
  ].join('\n');
  const training = run
    ? [
        `Trained in run \`${text(run.info.run_id)}\` (${text(run.info.run_name)})${d.experimentName ? ` of experiment "${text(d.experimentName)}"` : ''}, status ${run.info.status}.`,
        '',
        '**Parameters**',
        '',
        Object.keys(run.params).length
          ? table(
              ['param', 'value'],
              Object.entries(run.params)
                .sort()
                .map(([k, val]) => [k, val]),
            )
          : '_none logged_',
        '',
        '**Final metrics** (latest value of each)',
        '',
        Object.keys(run.metrics).length
          ? table(
              ['metric', 'value'],
              Object.entries(run.metrics)
                .sort()
                .map(([k, val]) => [k, num(val)]),
            )
          : '_none logged_',
      ].join('\n')
    : '_No training run recorded. Register with `--run RUN_ID` (or from `runs:/RUN_ID/PATH`) to link one._';
  const lineage = run
    ? [
        `- run: \`${text(run.info.run_id)}\``,
        run.tags['mlx.command'] ? `- command: \`${text(commandText(run.tags['mlx.command']))}\`` : null,
        run.tags['mlflow.source.git.commit']
          ? `- git commit: \`${text(run.tags['mlflow.source.git.commit'])}\`${run.tags['mlx.source.git.dirty'] === 'true' ? ' (with uncommitted changes)' : ''}`
          : null,
        ...run.inputs.map((i) => `- dataset: ${text(i.name)}${i.context ? ` (${text(i.context)})` : ''}, sha256 \`${text(i.digest)}\``),
      ]
        .filter(Boolean)
        .join('\n')
    : `- source: \`${text(v.source)}\``;
  return renderTemplate(
    template,
    {
      name: text(v.name),
      version: String(v.version),
      summary: summaryOf(v),
      aliases: v.aliases.length ? v.aliases.map((a) => `\`${cell(a)}\``).join(', ') : 'none',
      ir_version: opaque ? '-' : String(v.ir_version),
      opset: opaque ? '-' : cell(v.opset.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')),
      producer: cell(v.producer || 'unknown'),
      sha256: opaque ? '-' : cell(v.sha256),
      size: opaque ? '-' : bytes(v.size),
      created,
      user: cell(v.user_id),
      source: cell(v.source),
      intended_use: v.description
        ? markdown(v.description)
        : '_Not stated. Describe what the model is for and who should use it (`mlx register --description`)._',
      signature: sig,
      preprocessing: describeSpec(v.preprocess),
      labels: v.labels ? v.labels.map((l, i) => `${i}. ${text(l)}`).join('\n') : '_No labels: outputs are reported by index._',
      training,
      lineage,
    },
    'templates/model-card.md',
  );
}

/**
 * The command of `mlx run`, recorded as a JSON list of strings. Anyone may set the tag, to text
 * that is not JSON, or to other JSON (a list nested thousands deep made join() recurse past the
 * stack): those show as they are, cut at 200 characters.
 */
function commandText(tag: string): string {
  let argv: unknown;
  try {
    argv = JSON.parse(tag);
  } catch {
    argv = null;
  }
  if (Array.isArray(argv) && argv.every((a) => typeof a === 'string')) return argv.join(' ');
  return tag.length > 200 ? `${tag.slice(0, 197)}...` : tag;
}
