import { Option, type Command } from 'commander';
import { withStore } from '../context.js';
import { examples } from '../help.js';

interface PredictFlags {
  input: string;
  output?: string;
  batchSize: string;
  maxImagePixels: string;
  columns?: string;
  labels?: string;
  preprocess?: string;
  device: string;
  onError: 'fail' | 'skip' | 'null';
  keepColumns?: string;
  idColumn?: string;
}

const list = (text: string | undefined) =>
  text
    ?.split(',')
    .map((c) => c.trim())
    .filter(Boolean);

/** `mlx predict MODEL_URI --input FILE|DIR [--output FILE]`: batch inference without a server. */
export function registerPredictCommand(program: Command): void {
  program
    .command('predict <model-uri>')
    .description('batch inference: CSV / JSON lines rows or a folder of images in, predictions out (CSV or JSON lines)')
    .summary('batch inference on CSV, JSON lines, images')
    .requiredOption('-i, --input <file|dir>', 'a .csv (with header) or .jsonl file, or a folder of images')
    .option('-o, --output <file>', '.csv or .jsonl (default: JSON lines on stdout)')
    .option('--batch-size <n>', 'rows or images per inference', '256')
    .option(
      '--max-image-pixels <n>',
      "most pixels an image may decode to (width × height; never below the model's input); a larger one stops the run naming it",
      '40000000',
    )
    .option('--columns <a,b,c>', "input columns in the order the model takes them (default: the model's feature names, else the file's order)")
    .option('--keep-columns <a,b>', 'input columns copied into every output record (an id, a customer name), to join predictions back')
    .option('--id-column <name>', 'an input column whose value keys each output record instead of the row number')
    .addOption(
      new Option(
        '--on-error <mode>',
        'a row with a missing or non-numeric value, or an image that cannot be read: fail (stop, naming it), skip (leave it out, list it), null (write an error row)',
      )
        .choices(['fail', 'skip', 'null'])
        .default('fail'),
    )
    .option('--labels <file>', 'class names for a model that is not registered')
    .option('--preprocess <spec>', 'preprocessing for a model that is not registered')
    .option('--device <device>', 'auto (CUDA when onnxruntime can use it, else the CPU), cpu, cuda or cuda:N', 'auto')
    .addHelpText(
      'after',
      examples([
        'mlx predict models:/customer-value@champion --input production.csv --output predictions.csv',
        'mlx predict models:/customer-value/1 -i customers.csv -o scored.csv --id-column customer_id --on-error null',
        'mlx predict models:/pets-classifier/1 -i photos/ -o labels.csv --on-error skip  # lists the files it could not read',
      ]),
    )
    .action(async (uri: string, f: PredictFlags, cmd: Command) => {
      const { loadServedModel } = await import('../../serving/model-runtime.js');
      const { Predictor } = await import('../../serving/predictor.js');
      const { batchPredict, outputFormat } = await import('../../serving/batch-predict.js');
      const { inputKind } = await import('../../serving/batch-input.js');
      const { Progress } = await import('../progress.js');
      const { MAX_IMAGE_PIXELS_FLAG, flagValue, intFlag, usage } = await import('../flags.js');
      const maxImagePixels = intFlag('--max-image-pixels', f.maxImagePixels, { max: MAX_IMAGE_PIXELS_FLAG });
      const batchSize = intFlag('--batch-size', f.batchSize, { min: 1, max: 65536 });
      const { chooseDevice, parseDevice, probeCuda } = await import('../../serving/device.js');
      const device = flagValue('--device', () => parseDevice(f.device));
      if (device.kind === 'cuda') chooseDevice(device, probeCuda());
      flagValue('--output', () => outputFormat(f.output));
      const kind = inputKind(f.input);
      const columns = list(f.columns);
      const keep = list(f.keepColumns);
      if (kind === 'images' && (keep?.length || f.idColumn))
        throw usage(`${keep?.length ? '--keep-columns' : '--id-column'} applies to rows; images are keyed by file name`);
      const model = await withStore(cmd, false, (store) => loadServedModel(store, uri, { labelsFile: f.labels, preprocess: f.preprocess, device }));
      // The CPU is what predict always used; a GPU is news worth a line.
      if (model.device !== 'cpu') process.stderr.write(`mlx: running on ${model.device}\n`);
      const { limitNames } = await import('../serve-settings.js');
      const predictor = new Predictor(model, { maxBatchSize: batchSize, maxDelayMs: 0 }, {}, { maxImagePixels, names: limitNames() });
      const progress = new Progress(kind === 'images' ? 'images' : 'rows');
      try {
        const summary = await batchPredict(predictor, {
          input: f.input,
          output: f.output,
          batchSize,
          columns,
          keep,
          idColumn: f.idColumn?.trim() || undefined,
          onError: f.onError,
          onProgress: (p) => progress.update(p.done, p.fraction),
        });
        progress.done();
        const { printPredictSummary } = await import('./predict-summary.js');
        printPredictSummary(summary, kind === 'images' ? 'image' : 'row', f.onError);
      } finally {
        progress.done();
        await model.release();
      }
    });
}
