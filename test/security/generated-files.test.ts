// Values rendered into generated files (issue 17, item 10): a model file named `nl\nRUN id.onnx` must not
// add a live RUN line to the Dockerfile, nor uncommented lines to compose, Kubernetes YAML or a README.
// Every template is rendered with hostile values (line breaks of every kind YAML 1.1, YAML 1.2, Docker or
// Markdown knows, quotes, `#`, `:`, `{{`, `$`, backslashes, terminal escapes, bidi overrides) and compared
// with the same files rendered with a benign value: the same lines, the same comments, the same
// Dockerfile instructions and no parser directive, YAML that parses to the same documents with the value
// in place, compose files docker-compose accepts. Values that name things (the model) are refused instead.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DockerfileParser } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { MlxError } from '../../src/core/errors.js';
import type { ModelVersion, Run } from '../../src/core/entities.js';
import { renderModelCard } from '../../src/models/model-card.js';
import { modelCardTemplate } from '../../src/models/register.js';
import { OnnxGraphBuilder } from '../../src/models/onnx/builder.js';
import { parseContainerizeFlags, parseServerFlags } from '../../src/cli/commands/containerize-flags.js';
import { renderK8sFiles } from '../../src/deploy/render-k8s.js';
import { renderReadme } from '../../src/deploy/render-readme.js';
import { renderDockerFiles, type ContextSpec } from '../../src/deploy/render.js';
import { expectError, mlx, tempProject } from '../helpers/cli.js';
import { parseDockerfile } from '../helpers/dockerfile.js';
import { T, ok, sampleModels, writeFile } from '../helpers/models.js';

/** Every character some reader of the generated files takes as the end of a line. */
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;
/** C0 and C1 controls, DEL, line and paragraph separators, bidi overrides: none may reach a file raw (but \n and \t). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const HOSTILE: [string, string][] = [
  ['a newline and a RUN line', 'nl\nRUN id'],
  ['a carriage return', 'cr\rRUN id'],
  ['CRLF', 'crlf\r\nRUN id'],
  ['a YAML key on a new line', 'k\nevil: true'],
  ['a YAML list item on a new line', 'k\n- evil'],
  ['#', 'a # b #c'],
  ['double quotes', 'say "hi" ""'],
  ['single quotes', "it's 'x'"],
  ['colons', 'a: b: c'],
  ['template braces', '{{port}} {{ name }} {{'],
  ['dollars', '$HOME ${PATH} $(id) $$'],
  ['backslashes', 'a\\b\\\\ \\n \\'],
  ['U+2028 line separator', 'ls\u2028RUN id'],
  ['U+2029 paragraph separator', 'ps\u2029RUN id'],
  ['U+0085 next line (NEL)', 'nel\u0085RUN id'],
  ['a tab, NUL, DEL and C1 controls', 'a\tb\u0000c\u007fd\u009be'],
  ['a terminal escape', 'esc\u001b[31mred\u001b[0m'],
  ['a bidi override', 'abc\u202egnp.exe'],
  ['JSON and YAML flow breakers', '"], ["evil", {a: [b]}, &x *x ! | > % @ `'],
  ['a Dockerfile parser directive', 'syntax=docker.io/evil/frontend'],
];
const ALL = HOSTILE.map(([, v]) => v).join(' ');
HOSTILE.push(['all of them at once', ALL]);

const hasControl = (s: string) => CONTROL.test(s) || /[\t\r\n]/.test(s);
const lines = (text: string) => text.split(LINE_BREAK);

/** Replaces every occurrence of from by to in the strings of a parsed document. */
function substitute(doc: unknown, from: string, to: string): unknown {
  if (typeof doc === 'string') return doc.split(from).join(to);
  if (Array.isArray(doc)) return doc.map((d) => substitute(d, from, to));
  if (doc && typeof doc === 'object')
    return Object.fromEntries(Object.entries(doc).map(([k, v]) => [substitute(k, from, to) as string, substitute(v, from, to)]));
  return doc;
}

const yamlDocs = (text: string) =>
  parseAllDocuments(text).map((d) => {
    expect(d.errors, d.errors.map((e) => e.message).join('; ')).toEqual([]);
    return d.toJS();
  });

/** The Dockerfile as Docker's front ends see it: directives, then each instruction's keyword and decoded JSON arguments. */
function dockerfileShape(text: string) {
  const df = DockerfileParser.parse(text);
  return {
    directives: df.getDirectives().map((d) => d.getName()),
    instructions: df.getInstructions().map((i) => {
      const args = i.getArgumentsContent() ?? '';
      const json = /(\[.*\])\s*$/.exec(args);
      return { keyword: i.getKeyword(), json: json && ['CMD', 'ENTRYPOINT', 'HEALTHCHECK'].includes(i.getKeyword()) ? JSON.parse(json[1]) : null };
    }),
    labels: df
      .getInstructions()
      .flatMap((i) => ('getProperties' in i && i.getKeyword() === 'LABEL' ? (i as any).getProperties().map((p: any) => p.getName()) : [])),
    // test/helpers/dockerfile.ts reads instructions the way Docker's own parser does (lines end at \n only).
    ops: parseDockerfile(text).map((i) => i.op),
  };
}

/**
 * dockerfile-utils' diagnostics, less one false alarm: it unquotes a LABEL value and then checks the
 * result's quotes again, so a value that begins with a (properly escaped) `"` is reported as unclosed.
 * Docker's lexer reads `"\"x"` as `"x`; the quoting of every label is checked by labelWords below.
 */
const lint = (dockerfile: string) => lintDockerfile(dockerfile).filter((d) => !String(d.message).startsWith('failed to process ""\\"'));

/** The LABEL arguments read as Docker's lexer reads them: each a key and one closed double-quoted word, \-escapes decoded. */
function labelWords(dockerfile: string): [string, string][] {
  const label = /^LABEL ((?:.*\\\n)*.*)$/m.exec(dockerfile)![1].replace(/\\\n\s*/g, '');
  const words: [string, string][] = [];
  const re = /([\w.-]+)="((?:[^"\\]|\\.)*)"(?: |$)/y;
  for (let m; (m = re.exec(label));) words.push([m[1], m[2].replace(/\\(.)/g, '$1')]);
  expect(words.map(([k, v]) => `${k}="${v.replace(/[\\"$]/g, (c) => `\\${c}`)}"`).join(' ')).toBe(label);
  return words;
}

/**
 * The checks every hostile rendering must pass against the benign one: the same number of lines, comments
 * where the benign file has them, no raw control characters, YAML and JSON that parse to the benign
 * documents with the value in place, and a Dockerfile with the same instructions and no directive.
 */
function expectSameShape(benign: Record<string, string>, hostile: Record<string, string>, from: string, to: string): void {
  expect(Object.keys(hostile).sort()).toEqual(Object.keys(benign).sort());
  for (const [file, text] of Object.entries(hostile)) {
    const want = benign[file];
    expect(text.match(CONTROL)?.[0], `${file} holds a raw control character`).toBeUndefined();
    const [b, h] = [lines(want), lines(text)];
    expect(h.length, `${file}: lines added`).toBe(b.length);
    b.forEach((line, i) => expect(/^\s*#/.test(h[i]), `${file} line ${i + 1}: ${JSON.stringify(h[i])}`).toBe(/^\s*#/.test(line)));
    if (/\.ya?ml$/.test(file)) {
      expect(yamlDocs(text), file).toEqual(substitute(yamlDocs(want), from, to));
      YAML_PAIRS.push({ file, benign: want, hostile: text, from, to });
    }
    if (file.endsWith('.json')) expect(JSON.parse(text), file).toEqual(substitute(JSON.parse(want), from, to));
    if (file === 'Dockerfile') {
      const shape = dockerfileShape(text);
      expect(shape.directives, 'Dockerfile parser directives').toEqual([]);
      expect(shape).toEqual(substitute(dockerfileShape(want), from, to));
      expect(labelWords(text).map(([k]) => k)).toEqual(labelWords(want).map(([k]) => k));
      expect(lint(text)).toEqual(lint(want));
    }
  }
}

/** Every YAML file compared above, for a second reading by PyYAML (YAML 1.1, as docker-compose v1 reads compose files). */
const YAML_PAIRS: { file: string; benign: string; hostile: string; from: string; to: string }[] = [];

/** Each text parsed by PyYAML (all documents of it), in one python3 process. */
function pyYaml(texts: string[]): unknown[] {
  const script = 'import sys, json, yaml\nprint(json.dumps([list(yaml.safe_load_all(t)) for t in json.load(sys.stdin)], default=str))';
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  if (r.error) throw new Error(`python3 with PyYAML is needed (it is how docker-compose v1 reads YAML): ${r.error.message}`);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const SHA = 'ab'.repeat(32);
const SIG = { inputs: [{ name: 'features', type: 'float32', shape: [-1, 5] }], outputs: [{ name: 'probabilities', type: 'float32', shape: [-1, 3] }] };

type Field = 'name' | 'uri' | 'resolvedUri' | 'description';
/** The benign value of each field: a token found nowhere else in the files. */
const TOKEN: Record<Field, string> = { name: 'Qq7name', uri: 'Qq7uri', resolvedUri: 'Qq7res', description: 'Qq7desc' };

/** A model context with every optional file (k8s, GPU, Grafana); one field holds the given value. */
function spec(field: Field, value: string): ContextSpec {
  const v = { ...TOKEN, [field]: value };
  return {
    ...parseContainerizeFlags({ k8s: true, gpu: true, grafana: true, namespace: 'ml' }),
    name: v.name,
    version: 3,
    uri: `models:/${v.uri}@champion`,
    resolvedUri: `models:/${v.resolvedUri}/3`,
    sha256: SHA,
    description: v.description,
    signature: SIG,
    modelFile: `model/${v.name}.onnx`,
    labelsFile: 'model/labels.txt',
    preprocess: 'tabular',
    mlxVersion: '0.1.0',
    tarball: 'mlx-0.1.0.tgz',
    image: 'svc:3',
    app: 'svc',
  };
}

/** Every file the renderers write for a model context. */
function render(s: ContextSpec): Record<string, string> {
  const files = [...renderDockerFiles(s), ...renderK8sFiles(s)];
  const out = Object.fromEntries(files.map((f) => [f.path, f.content]));
  out['README.md'] = renderReadme(s, [...Object.keys(out), 'README.md']);
  return out;
}

describe('every template rendered with hostile values', () => {
  describe.each(HOSTILE)('%s', (_, h) => {
    it.each(['uri', 'resolvedUri', 'description'] as const)("in the model's %s: escaped, the files keep their shape", (field) => {
      expectSameShape(render(spec(field, TOKEN[field])), render(spec(field, h)), TOKEN[field], h);
    });

    it("in the model's name: refused when it holds a control character, else rendered with the files' shape kept", () => {
      if (hasControl(h)) {
        expect(() => render(spec('name', h))).toThrow(MlxError);
        return;
      }
      expectSameShape(render(spec('name', TOKEN.name)), render(spec('name', h)), TOKEN.name, h);
    });
  });

  it('PyYAML (YAML 1.1: NEL, U+2028 and U+2029 end lines and comments there) reads every hostile YAML file as the benign one', () => {
    expect(YAML_PAIRS.length).toBeGreaterThan(100);
    const benign = pyYaml(YAML_PAIRS.map((p) => p.benign));
    const hostile = pyYaml(YAML_PAIRS.map((p) => p.hostile));
    YAML_PAIRS.forEach((p, i) => expect(hostile[i], `${p.file} with ${JSON.stringify(p.to)}`).toEqual(substitute(benign[i], p.from, p.to)));
  });

  it("the tracking server's values all come from checked flags: hostile ones are refused with their escaped form", () => {
    for (const [, h] of HOSTILE)
      for (const [flag, f] of [
        ['--namespace', { k8s: true, namespace: h }],
        ['--secret-name', { k8s: true, secretName: h }],
        ['--storage-class', { k8s: true, storageClass: h }],
        ['image tag', { tag: h }],
        ['--node-version', { nodeVersion: h }],
        ['--artifacts-storage', { k8s: true, artifactsStorage: h }],
      ] as const) {
        let err: unknown;
        try {
          parseServerFlags(f);
        } catch (e) {
          err = e;
        }
        expect(err, `${flag} ${JSON.stringify(h)}`).toBeInstanceOf(MlxError);
        const message = (err as MlxError).message;
        expect(message).toContain(flag);
        expect(message.match(CONTROL)?.[0], `${flag}: ${JSON.stringify(message)}`).toBeUndefined();
        expect(lines(message)).toHaveLength(1);
      }
  });
});

describe('the model card, rendered with hostile values from the ONNX file, the run and the registry', () => {
  function card(value: string): string {
    const v: ModelVersion = {
      name: 'pets',
      version: 1,
      description: `first ${value}\nsecond`,
      creation_time: 0,
      last_updated_time: 0,
      user_id: `user ${value}`,
      source: `/models/${value}.onnx`,
      run_id: 'r1',
      status: 'READY',
      storage_location: '',
      sha256: SHA,
      size: 10,
      ir_version: 8,
      opset: [{ domain: `dom ${value}`, version: 17 }],
      producer: `producer ${value}`,
      signature: { inputs: [{ name: `in ${value}`, type: 'float32', shape: [-1, 5] }], outputs: [{ name: `out ${value}`, type: 'float32', shape: [-1, 3] }] },
      labels: [`cat ${value}`, 'dog'],
      preprocess: null,
      tags: {},
      aliases: [],
      current_stage: 'None',
    };
    const run: Run = {
      info: {
        run_id: 'r1',
        run_name: `run ${value}`,
        experiment_id: '1',
        user_id: 'u',
        status: 'FINISHED',
        start_time: 0,
        end_time: 1,
        artifact_uri: '',
        lifecycle_stage: 'active',
      },
      params: { lr: `p ${value}` },
      metrics: { acc: 0.9 },
      tags: { 'mlx.command': JSON.stringify(['python', `train ${value}.py`]), 'mlflow.source.git.commit': `c ${value}` },
      inputs: [{ name: `data ${value}`, digest: `d ${value}`, context: `ctx ${value}` } as Run['inputs'][number]],
    };
    return renderModelCard(modelCardTemplate(), { version: v, run, experimentName: `exp ${value}` });
  }

  it.each(HOSTILE)("%s: control characters escaped, no line added (the description's own lines aside)", (_, h) => {
    const benign = card('Qq7');
    const hostile = card(h);
    expect(hostile.match(CONTROL)?.[0], 'raw control character').toBeUndefined();
    // The description is Markdown the owner wrote: its line breaks are its own; every other value stays on its line.
    const own = h.split(/\r\n|\r|\n/).length - 1;
    expect(lines(hostile).length).toBe(lines(benign).length + own);
    // No value turns into a heading or a table row of its own.
    const structure = (t: string) => lines(t).filter((l) => /^(#|\|)/.test(l)).length;
    expect(structure(hostile)).toBe(structure(benign));
  });
});

describe('mlx containerize with hostile file, folder and registry values', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempProject('mlx-generated-files-');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Every file of a written context as text (the packed tarball and the ONNX bytes left out). */
  function readContext(ctx: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of fs.readdirSync(ctx, { recursive: true }) as string[]) {
      const file = path.join(ctx, p);
      if (fs.statSync(file).isFile() && !/\.(tgz|onnx)$/.test(p)) out[p] = fs.readFileSync(file, 'utf8');
    }
    return out;
  }

  function composeConfig(file: string): string {
    const r = spawnSync('docker-compose', ['-f', file, 'config'], { encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw new Error(`docker-compose is needed to validate compose files (apt-get install docker-compose): ${r.error.message}`);
    expect(r.status, `${file}: ${r.stderr}`).toBe(0);
    return r.stdout;
  }

  it(
    'a model file whose name holds a control character is refused, naming it escaped; nothing is written',
    () => {
      const model = sampleModels().tabular;
      for (const name of ['nl\nRUN id', 'cr\rRUN id', 'ls\u2028RUN id', 'nel\u0085RUN id', 'esc\u001b[2J', 'tab\tx', 'bidi\u202egnp']) {
        writeFile(dir, `${name}.onnx`, model);
        const before = fs.readdirSync(dir).sort();
        const line = expectError(mlx(dir, ['containerize', `${name}.onnx`, '--out', 'refused', '--k8s']), 1, 'model name', 'control character', 'rename');
        expect(line.match(CONTROL)?.[0], `the message holds the raw character: ${JSON.stringify(line)}`).toBeUndefined();
        const escaped = JSON.stringify(name)
          .slice(1, -1)
          .replace(/[\u0080-\u009f\u2028\u2029\u202e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
        expect(line).toContain(escaped);
        expect(fs.readdirSync(dir).sort()).toEqual(before);
        fs.rmSync(path.join(dir, `${name}.onnx`));
      }
    },
    T,
  );

  it(
    'a model file named with quotes, #, :, {{, $ and backslashes: the files keep the shape a plain name gives them',
    () => {
      const model = sampleModels().tabular;
      const odd = `a#b "c" 'd' e: {{port}} $HOME \\x syntax=x`;
      // The plain name is the odd one's slug, so the Kubernetes names (made from it) are the same in both.
      const plain = 'a-b-c-d-e-port-home-x-syntax-x';
      writeFile(dir, `${plain}.onnx`, model);
      writeFile(dir, `${odd}.onnx`, model);
      ok(dir, ['containerize', `${plain}.onnx`, '--out', 'plain', '--k8s', '--grafana', '--tag', 'svc:1']);
      ok(dir, ['containerize', `${odd}.onnx`, '--out', 'odd', '--k8s', '--grafana', '--tag', 'svc:1']);
      const [benign, hostile] = [readContext(path.join(dir, 'plain')), readContext(path.join(dir, 'odd'))];
      // model.json names the model by itself as well as by its file: checked on its own below.
      const shaped = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).filter(([p]) => p !== 'model/model.json'));
      expectSameShape(shaped(benign), shaped(hostile), `${plain}.onnx`, `${odd}.onnx`);
      expect(JSON.parse(hostile['model/model.json'])).toMatchObject({ name: odd, uri: `${odd}.onnx`, files: { model: `model/${odd}.onnx` } });
      const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(hostile.Dockerfile)![1]);
      expect(cmd.slice(0, 2)).toEqual(['serve', `model/${odd}.onnx`]);
      expect(fs.existsSync(path.join(dir, 'odd', 'model', `${odd}.onnx`))).toBe(true);
      expect(composeConfig(path.join(dir, 'odd', 'docker-compose.yml')).replaceAll(path.join(dir, 'odd'), 'CTX')).toEqual(
        composeConfig(path.join(dir, 'plain', 'docker-compose.yml')).replaceAll(path.join(dir, 'plain'), 'CTX'),
      );
    },
    T,
  );

  it(
    'a model in a folder whose name holds a newline: its URI is shown escaped in comments, the Dockerfile gains no instruction',
    () => {
      const model = sampleModels().tabular;
      writeFile(dir, 'models/m.onnx', model);
      writeFile(dir, 'evil\nRUN id\n/m.onnx', model);
      ok(dir, ['containerize', 'models/m.onnx', '--out', 'from-plain', '--tag', 'm:1']);
      ok(dir, ['containerize', 'evil\nRUN id\n/m.onnx', '--out', 'from-evil', '--tag', 'm:1']);
      const [benign, hostile] = [readContext(path.join(dir, 'from-plain')), readContext(path.join(dir, 'from-evil'))];
      expect(dockerfileShape(hostile.Dockerfile)).toEqual(dockerfileShape(benign.Dockerfile));
      for (const [p, text] of Object.entries(hostile)) expect(lines(text).length, p).toBe(lines(benign[p]).length);
      expect(hostile.Dockerfile).toContain('mlx containerize evil\\nRUN id\\n/m.onnx');
      expect(hostile['README.md']).toContain('evil\\nRUN id\\n/m.onnx');
    },
    T,
  );

  it(
    'a registered model with a hostile description and ONNX producer and tensor names: labels, model card and manifest keep their shape',
    () => {
      const bytes = (producer: string, input: string) =>
        new OnnxGraphBuilder('g')
          .input(input, 'float32', ['batch', 3])
          .node('Relu', [input], ['y'])
          .output('y', 'float32', ['batch', 3])
          .toBytes({ producerName: producer });
      writeFile(dir, 'plain-reg.onnx', bytes('producer', 'x'));
      writeFile(dir, 'evil-reg.onnx', bytes('producer\n| evil | row |\n# Heading', 'x\n## in'));
      ok(dir, ['register', 'plain-reg.onnx', '--name', 'plain-reg', '--description', 'Pets']);
      ok(dir, ['register', 'evil-reg.onnx', '--name', 'evil-reg', '--description', 'Pets\u2028RUN id\r\nLABEL x=$HOME "q" \u001b[2J']);
      ok(dir, ['containerize', 'models:/plain-reg/1', '--out', 'reg-plain', '--k8s', '--tag', 'svc:1']);
      ok(dir, ['containerize', 'models:/evil-reg/1', '--out', 'reg-evil', '--k8s', '--tag', 'svc:1']);
      const [benign, hostile] = [readContext(path.join(dir, 'reg-plain')), readContext(path.join(dir, 'reg-evil'))];
      expect(dockerfileShape(hostile.Dockerfile)).toEqual(substitute(dockerfileShape(benign.Dockerfile), 'plain-reg', 'evil-reg'));
      for (const [p, text] of Object.entries(hostile)) {
        expect(text.match(CONTROL)?.[0], `${p} holds a raw control character`).toBeUndefined();
        // The description's own line break is kept in the model card's intended use: one line more there.
        expect(lines(text).length, p).toBe(lines(benign[p]).length + (p === 'model/MODEL_CARD.md' ? 1 : 0));
      }
      // The image label keeps the description on one line (line breaks become spaces), quotes, $ and controls escaped.
      expect(hostile.Dockerfile).toContain('org.opencontainers.image.description="Pets RUN id LABEL x=\\$HOME \\"q\\" \\\\u001b[2J"');
      const card = hostile['model/MODEL_CARD.md'];
      expect(card).toContain('| Producer | producer\\n\\| evil \\| row \\|\\n# Heading |');
      const printed = mlx(dir, ['models', 'card', 'evil-reg/1']);
      expect(printed.code).toBe(0);
      expect(printed.stdout.match(CONTROL)?.[0]).toBeUndefined();
    },
    T,
  );
  it(
    'registry labels with a line break (possible through the REST API) are refused: model/labels.txt holds one per line',
    () => {
      writeFile(dir, 'labelled.onnx', sampleModels().tabular);
      writeFile(dir, 'labels.txt', 'low\nmid\nhigh\n');
      ok(dir, ['register', 'labelled.onnx', '--name', 'labelled', '--labels', 'labels.txt']);
      const db = new Database(path.join(dir, '.mlx', 'mlx.db'));
      db.prepare('UPDATE model_versions SET labels = ? WHERE name = ?').run(JSON.stringify(['low', 'mid\nRUN id', 'high']), 'labelled');
      db.close();
      const before = fs.readdirSync(dir).sort();
      expectError(
        mlx(dir, ['containerize', 'models:/labelled/1', '--out', 'labelled-ctx']),
        1,
        'the label of class 1, "mid\\nRUN id", holds a line break',
        '--labels',
      );
      expect(fs.readdirSync(dir).sort()).toEqual(before);
      // --labels FILE replaces them, as the message says.
      ok(dir, ['containerize', 'models:/labelled/1', '--out', 'labelled-ctx', '--labels', 'labels.txt']);
      expect(fs.readFileSync(path.join(dir, 'labelled-ctx/model/labels.txt'), 'utf8')).toBe('low\nmid\nhigh\n');
      // The model card shows the stored label on its line, escaped.
      expect(mlx(dir, ['models', 'card', 'labelled/1']).stdout).toContain('1. mid\\nRUN id\n2. high');
    },
    T,
  );
});
