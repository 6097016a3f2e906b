/**
 * The text pandas' `read_csv` reads as a missing value by default (`na_values`), so a file reads
 * the same in mlx as in pandas: its drift tests and its data profiles count the same nulls.
 */
export const PANDAS_NA: ReadonlySet<string> = new Set([
  '',
  'NA',
  'N/A',
  'n/a',
  'NaN',
  'nan',
  '-NaN',
  '-nan',
  'null',
  'NULL',
  'None',
  '#N/A',
  '#NA',
  '<NA>',
  '1.#IND',
  '-1.#IND',
  '1.#QNAN',
  '-1.#QNAN',
]);
