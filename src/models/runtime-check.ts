import { invalid } from '../core/errors.js';

/** Loads the model in onnxruntime (CPU) to prove it can be served; the error says why not. */
export async function checkLoadsInRuntime(bytes: Uint8Array, label: string): Promise<void> {
  const ort = await import('onnxruntime-node');
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>> | undefined;
  try {
    session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  } catch (err) {
    const why = String((err as Error)?.message ?? err)
      .split('\n')[0]
      .replace(/^\[[^\]]*\]\s*/, '')
      .trim();
    throw invalid(`onnxruntime cannot load ${label}: ${why}`, err);
  } finally {
    await session?.release();
  }
}
