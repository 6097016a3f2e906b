import type { Command } from 'commander';
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
}

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
    .option('--labels <file>', 'class names for a model that is not registered')
    .option('--preprocess <spec>', 'preprocessing for a model that is not registered')
    .option('--device <device>', 'auto (CUDA when onnxruntime can use it, else the CPU), cpu, cuda or cuda:N', 'auto')
    .addHelpText(
      'after',
      examples([
        'mlx predict models:/customer-value@champion --input production.csv --output predictions.csv',
        'mlx predict models:/pets-classifier/1 --input photos/  # JSON lines on stdout',
        'mlx predict value.onnx -i customers.jsonl --columns age,income,score,clicks,time --preprocess tabular',
      ]),
    )
    .action(async (uri: string, f: PredictFlags, cmd: Command) => {
      const { loadServedModel } = await import('../../serving/model-runtime.js');
      const { Predictor } = await import('../../serving/predictor.js');
      const { batchPredict, outputFormat } = await import('../../serving/batch-predict.js');
      const { inputKind } = await import('../../serving/batch-input.js');
      const { Progress } = await import('../progress.js');
      const { MAX_IMAGE_PIXELS_FLAG, flagValue, intFlag } = await import('../flags.js');
      const maxImagePixels = intFlag('--max-image-pixels', f.maxImagePixels, { max: MAX_IMAGE_PIXELS_FLAG });
      const batchSize = intFlag('--batch-size', f.batchSize, { min: 1, max: 65536 });
      const { chooseDevice, parseDevice, probeCuda } = await import('../../serving/device.js');
      const device = flagValue('--device', () => parseDevice(f.device));
      if (device.kind === 'cuda') chooseDevice(device, probeCuda());
      flagValue('--output', () => outputFormat(f.output));
      const kind = inputKind(f.input);
      const columns = f.columns
        ?.split(',')
        .map((c) => c.trim())
        .filter(Boolean);
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
          onProgress: (p) => progress.update(p.done, p.fraction),
        });
        progress.done();
        const rate = summary.seconds > 0 ? Math.round(summary.rows / summary.seconds).toLocaleString('en-US') : '-';
        process.stderr.write(
          `mlx: predicted ${summary.rows.toLocaleString('en-US')} ${kind === 'images' ? 'image' : 'row'}${summary.rows === 1 ? '' : 's'} in ${summary.seconds.toFixed(2)} s (${rate}/s)${summary.output ? ` → ${summary.output}` : ''}\n`,
        );
      } finally {
        progress.done();
        await model.release();
      }
    });
}
