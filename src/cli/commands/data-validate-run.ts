import type { Command } from 'commander';
import { usage } from '../../core/errors.js';
import { resolveDataFile } from '../../data/validation/data-source.js';
import { parseRowExpr } from '../../data/validation/expression.js';
import { renderValidationHtml } from '../../data/validation/report-html.js';
import { inferSchema, SCHEMA_VERSION, type DataSchema, type Expectation } from '../../data/validation/schema.js';
import { validateRows, type ValidationReport } from '../../data/validation/validate.js';
import { profileFile, validateFile } from '../../data/validation/scan-file.js';
import { feedLoggedTraffic, logValidationToRun } from '../../app/data-validation.js';
import { withStore } from '../context.js';
import { schemaFlag } from '../schema-flag.js';
import { flagValue, numberFlag } from '../flags.js';
import { servingWindow, threadsFlag, writeWhole } from './data-profile-run.js';
import { colors, painted, print, printable, printJson, renderTable, type Cell } from '../output.js';

export interface ValidateFlags {
  schema?: string;
  reference?: string;
  expect?: string[];
  expectWarn?: string[];
  tolerance: string;
  strict?: boolean;
  json?: boolean;
  html?: string;
  logToRun?: string;
  since?: string;
  until?: string;
  threads?: string;
}

/** Exit code when an expectation fails (beside drift's 3). */
export const EXIT_INVALID = 4;

export async function runValidate(source: string, f: ValidateFlags, cmd: Command): Promise<number> {
  if (f.schema !== undefined && f.reference !== undefined) throw usage('give --schema or --reference, not both');
  if (f.schema === undefined && f.reference === undefined && !f.expect?.length && !f.expectWarn?.length)
    throw usage('give --schema FILE, --reference FILE or at least one --expect EXPR');
  const tolerance = numberFlag('--tolerance', f.tolerance, { min: 0, max: 100 });
  const threads = threadsFlag(f.threads);
  if (f.html !== undefined && !/\.html?$/i.test(f.html)) throw usage(`--html ${JSON.stringify(f.html)} must name an .html file`);
  const custom: Expectation[] = [
    ...(f.expect ?? []).map((expr) => ({
      expect: 'expression' as const,
      expr: flagValue('--expect', () => (parseRowExpr(expr), expr)),
      severity: 'error' as const,
    })),
    ...(f.expectWarn ?? []).map((expr) => ({
      expect: 'expression' as const,
      expr: flagValue('--expect-warn', () => (parseRowExpr(expr), expr)),
      severity: 'warn' as const,
    })),
  ];
  const w = servingWindow(source, f);
  let schema: DataSchema;
  let schemaName: string;
  if (f.schema !== undefined) {
    ({ schema, name: schemaName } = await schemaFlag(cmd, f.schema));
  } else if (f.reference !== undefined) {
    const ref = resolveDataFile(f.reference).file;
    schema = inferSchema(await profileFile(ref, { threads }), { tolerance });
    schemaName = `inferred from ${f.reference}`;
  } else {
    schema = { mlx_data_schema: SCHEMA_VERSION, expectations: [] };
    schemaName = '--expect';
  }
  schema = { ...schema, expectations: [...schema.expectations, ...custom] };
  const report = w
    ? await withStore(cmd, false, async (store) => {
        const { inferenceLogOf } = await import('../../store/inference-log-of.js');
        const log = await inferenceLogOf(store);
        return validateRows(source, schema, schemaName, (v) => void feedLoggedTraffic(log, w, v));
      })
    : await validateFile(resolveDataFile(source).file, schema, schemaName, { threads });
  if (f.html) writeWhole(f.html, renderValidationHtml(report));
  if (f.logToRun) await withStore(cmd, false, (store) => logValidationToRun(store, f.logToRun!, report, f.html));
  if (f.json) printJson(report);
  else await printReport(report, f.html);
  return !report.valid || (f.strict && report.statistics.warnings > 0) ? EXIT_INVALID : 0;
}

async function printReport(r: ValidationReport, html: string | undefined): Promise<void> {
  const c = await colors();
  const shown = r.results.filter((x) => x.status === 'failed');
  const rows: Cell[][] = shown.map((x) => {
    const paint = x.status === 'skipped' ? c.dim : x.severity === 'error' ? c.red : c.yellow;
    return [
      painted(x.status === 'skipped' ? 'skipped' : x.severity, paint),
      x.column ?? '',
      x.expect,
      x.message,
      (x.examples ?? [])
        .slice(0, 3)
        .map((e) => `line ${e.line}: ${e.value}`)
        .join('; '),
    ];
  });
  if (rows.length) print(await renderTable(['', 'column', 'expectation', 'observed', 'example rows'], rows));
  const s = r.statistics;
  const line = `${s.passed} of ${s.evaluated} expectations passed on ${r.rows} rows of ${printable(r.source)}${s.errors ? `, ${s.errors} failed` : ''}${s.warnings ? `, ${s.warnings} warning${s.warnings > 1 ? 's' : ''}` : ''}${s.skipped ? `, ${s.skipped} skipped` : ''}`;
  print(r.valid ? c.green.bold(`Valid: ${line}`) : c.red.bold(`Invalid: ${line}`));
  if (html) print(`report written to ${printable(html)}`);
}
