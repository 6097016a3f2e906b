// The flags that tune a model server, defined once: `mlx serve` takes them (with serving's defaults,
// SERVE_DEFAULTS), `mlx containerize` takes the same flags for the image and writes them back as
// `mlx serve` arguments (serveCommandLine), so a containerized model is served exactly as
// `mlx serve` would serve it.
import type { Command } from 'commander';
import type { ServeCommandLine } from '../deploy/options.js';
import { SERVE_DEFAULTS, MAX_ROWS_CEILING, type LimitNames, type ServeSettings } from '../serving/defaults.js';
import { intFlag, MAX_IMAGE_PIXELS_FLAG, numberFlag } from './flags.js';

type Key = keyof ServeSettings;

interface SettingFlag {
  key: Key;
  flag: string;
  arg: string;
  help: string;
  parse: (flag: string, text: string) => number;
}

const int = (min: number, max: number) => (flag: string, text: string) => intFlag(flag, text, { min, max });
const num = (min: number, max: number) => (flag: string, text: string) => numberFlag(flag, text, { min, max });

/** In the order `mlx serve --help` lists them. */
export const SERVE_SETTING_FLAGS: readonly SettingFlag[] = [
  {
    key: 'maxBatchSize',
    flag: '--max-batch-size',
    arg: '<n>',
    help: 'most rows coalesced into one inference (1 turns batching off; default: 32, or 4 for image models)',
    parse: int(1, 65536),
  },
  { key: 'maxBatchDelayMs', flag: '--max-batch-delay-ms', arg: '<ms>', help: 'longest wait for a batch to fill', parse: num(0, 10_000) },
  {
    key: 'maxQueue',
    flag: '--max-queue',
    arg: '<n>',
    help: 'most requests waiting for inference per model, each uploaded image counting as one; more are answered 503 with Retry-After (0: no limit)',
    parse: int(0, 1_000_000),
  },
  { key: 'maxBodyMb', flag: '--max-body-mb', arg: '<mb>', help: 'largest request body', parse: num(0.001, 4096) },
  {
    key: 'maxImagePixels',
    flag: '--max-image-pixels',
    arg: '<n>',
    help: "most pixels an uploaded image may decode to (width × height; never below the model's input); larger ones are answered 413 before decoding",
    parse: int(1, MAX_IMAGE_PIXELS_FLAG),
  },
  {
    key: 'maxImages',
    flag: '--max-images',
    arg: '<n>',
    help: 'most images in one /predict upload; more are answered 413 before any is decoded',
    parse: int(1, 65_536),
  },
  {
    key: 'maxRows',
    flag: '--max-rows',
    arg: '<n>',
    help: 'most rows (or tensor batch entries) in one request; more are answered 413',
    parse: int(1, MAX_ROWS_CEILING),
  },
  {
    key: 'threads',
    flag: '--threads',
    arg: '<n>',
    help: 'onnxruntime intra-op threads per instance (default: one per core, shared out between instances; inference runs on its own thread either way)',
    parse: int(1, 1024),
  },
  {
    key: 'instances',
    flag: '--instances',
    arg: '<n>',
    help: "sessions of each model running batches side by side, each on its own thread (Triton's instance count)",
    parse: int(1, 64),
  },
];

const DEFAULTS = SERVE_DEFAULTS as Partial<Record<Key, number>>;

/** Adds the settings to `mlx serve`, with their defaults shown in the help (and applied by commander). */
export function addServeSettings(cmd: Command): Command {
  for (const s of SERVE_SETTING_FLAGS) {
    const def = DEFAULTS[s.key];
    if (def === undefined) cmd.option(`${s.flag} ${s.arg}`, s.help);
    else cmd.option(`${s.flag} ${s.arg}`, s.help, String(def));
  }
  return cmd;
}

/** Adds the settings to `mlx containerize`: given, they go into the image's command and ConfigMap; else `mlx serve`'s defaults apply there. */
export function addImageServeSettings(cmd: Command): Command {
  for (const s of SERVE_SETTING_FLAGS)
    if (s.key !== 'threads')
      cmd.option(`${s.flag} ${s.arg}`, `mlx serve ${s.flag} in the image${s.key === 'instances' ? ' (the CPU budget is shared out between them)' : ''}`);
  return cmd;
}

/** The settings given as flags (strings, as commander holds them), parsed; the ones not given are left out. */
export function parseServeSettings(f: Partial<Record<Key, string>>): Partial<ServeSettings> {
  const out: Partial<ServeSettings> = {};
  for (const s of SERVE_SETTING_FLAGS) {
    const text = f[s.key];
    if (text !== undefined) out[s.key] = s.parse(s.flag, text);
  }
  return out;
}

/** How the images `mlx containerize` writes run `mlx serve`: its flags, from the one table above. */
export const serveCommandLine: ServeCommandLine = {
  args(o) {
    const args = ['serve', o.modelFile, '--host', o.host, '--port', o.port];
    if (o.labelsFile) args.push('--labels', o.labelsFile);
    if (o.preprocess) args.push('--preprocess', o.preprocess);
    if (o.schemaFile) args.push('--schema', o.schemaFile);
    if (o.modelVersion !== undefined) args.push('--model-version', o.modelVersion);
    if (o.allowUnauthenticated) args.push('--allow-unauthenticated');
    if (o.device) args.push('--device', o.device);
    for (const s of [...SERVE_SETTING_FLAGS].sort((a, b) => ORDER.indexOf(a.key) - ORDER.indexOf(b.key))) {
      const v = o.settings[s.key];
      if (v !== undefined) args.push(s.flag, v);
    }
    return args;
  },
};

/** The order settings take in a generated command line (the one images have always had). */
const ORDER: Key[] = ['threads', 'maxBatchSize', 'maxBatchDelayMs', 'maxBodyMb', 'maxQueue', 'instances', 'maxImagePixels', 'maxImages', 'maxRows'];

/** How the server's refusals name the limits: by these flags, so a 413 says which one to raise. */
export function limitNames(): LimitNames {
  const flag = (key: Key) => SERVE_SETTING_FLAGS.find((s) => s.key === key)!.flag;
  return {
    maxBodyMb: flag('maxBodyMb'),
    maxRows: flag('maxRows'),
    maxImages: flag('maxImages'),
    maxImagePixels: flag('maxImagePixels'),
    maxQueue: flag('maxQueue'),
  };
}
