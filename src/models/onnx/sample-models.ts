// Real ONNX models built in TypeScript for tests and examples: nothing is downloaded.
import { OnnxGraphBuilder } from './builder.js';

export { createRng, type Rng } from './prng.js';
export {
  DRIFT_FEATURES,
  VALUE_CLASSES,
  seedDriftData,
  tabularDataCsv,
  trainTabularClassifier,
  tabularLogits,
  predictTabular,
  evaluateTabular,
  tabularClassifierOnnx,
  softmaxInPlace,
  argmax,
  type DriftFeature,
  type TabularData,
  type DriftDataOptions,
  type TabularModel,
  type TrainTabularOptions,
} from './tabular-model.js';
export {
  SEED_LABELS,
  syntheticImage,
  imageFeatures,
  predictImage,
  classifyImage,
  trainImageClassifier,
  imageClassifierOnnx,
  type SeedLabel,
  type SyntheticImage,
  type ImageModel,
  type TrainImageOptions,
} from './image-model.js';

/**
 * Well-formed ONNX files that onnxruntime refuses to load: an op no runtime implements, an opset newer than
 * onnxruntime 1.30 supports (ONNX opset 26), and a MatMul whose weight does not fit the input's shape.
 */
export function brokenModels(): { unknownOp: Uint8Array; badOpset: Uint8Array; shapeMismatch: Uint8Array } {
  const unknownOp = new OnnxGraphBuilder('unknown_op')
    .input('x', 'float32', ['batch', 4])
    .node('NoSuchOp', ['x'], ['y'])
    .output('y', 'float32', ['batch', 4])
    .toBytes();
  const badOpset = new OnnxGraphBuilder('bad_opset')
    .input('x', 'float32', ['batch', 4])
    .node('Relu', ['x'], ['y'])
    .output('y', 'float32', ['batch', 4])
    .toBytes({ opset: 99 });
  const shapeMismatch = new OnnxGraphBuilder('shape_mismatch')
    .input('x', 'float32', ['batch', 5])
    .initializer('W', new Float32Array(12), [4, 3])
    .node('MatMul', ['x', 'W'], ['y'])
    .output('y', 'float32', ['batch', 3])
    .toBytes();
  return { unknownOp, badOpset, shapeMismatch };
}
