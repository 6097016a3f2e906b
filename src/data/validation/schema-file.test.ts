import { describe, expect, it } from 'vitest';
import { formatSchema, parseSchema } from './schema-file.js';
import { inferSchema } from './schema.js';
import type { DataProfile } from './profile.js';

const profile: DataProfile = {
  source: 'ref.csv',
  format: 'csv',
  rows: 100,
  columns: [
    { name: 'id', type: 'int', count: 100, nulls: 0, null_share: 0, distinct: 100, unique: true, min: 0, max: 99 },
    {
      name: 'color',
      type: 'string',
      count: 90,
      nulls: 10,
      null_share: 0.1,
      distinct: 2,
      unique: false,
      categories: [
        { value: 'b', count: 50 },
        { value: 'a', count: 40 },
      ],
      length: { min: 1, max: 1 },
    },
  ],
};

describe('schema files', () => {
  it('round-trips what inference writes', () => {
    const schema = inferSchema(profile);
    const back = parseSchema(formatSchema(schema), 's.json');
    expect(back.expectations).toEqual(schema.expectations);
    expect(back.profile).toEqual(profile.columns);
    expect(schema.expectations.find((x) => x.expect === 'categories')).toMatchObject({ column: 'color', values: ['a', 'b'] });
    expect(schema.expectations.find((x) => x.expect === 'max_null_share' && x.column === 'color')).toMatchObject({ max: 0.16 });
  });

  it('severity defaults to error; warn is kept', () => {
    const s = parseSchema(
      '{"mlx_data_schema":1,"expectations":[{"expect":"unique","column":"id"},{"expect":"not_constant","column":"id","severity":"warn"}]}',
      's.json',
    );
    expect(s.expectations.map((x) => x.severity)).toEqual(['error', 'warn']);
  });

  for (const [what, text, message] of [
    ['a newer version', '{"mlx_data_schema":2,"expectations":[]}', /reads version 1/],
    ['no version', '{"expectations":[]}', /not an mlx data schema/],
    ['an unknown top-level key', '{"mlx_data_schema":1,\n"expectation":[]}', /line 2: unknown key "expectation"/],
    ['a bad severity', '{"mlx_data_schema":1,"expectations":[{"expect":"unique","column":"id","severity":"fatal"}]}', /severity "fatal"/],
    ['a missing key', '{"mlx_data_schema":1,"expectations":[{"expect":"type","column":"id"}]}', /"type" needs "type"/],
    ['a bad type', '{"mlx_data_schema":1,"expectations":[{"expect":"type","column":"id","type":"number"}]}', /int, float, bool, string, datetime/],
    ['a share over 1', '{"mlx_data_schema":1,"expectations":[{"expect":"max_null_share","column":"id","max":5}]}', /a share from 0 to 1/],
    ['min above max', '{"mlx_data_schema":1,"expectations":[{"expect":"row_count","min":5,"max":1}]}', /"min" 5 is above "max" 1/],
    ['a range without bounds', '{"mlx_data_schema":1,"expectations":[{"expect":"range","column":"id"}]}', /needs "min", "max" or both/],
    ['a bad expression', '{"mlx_data_schema":1,"expectations":[\n{"expect":"expression","expr":"a >"}]}', /line 2 \(expectations\[0\]\): invalid expression/],
    ['an array', '[]', /a schema is a JSON object/],
  ] as const)
    it(`refuses ${what}, naming the file and line`, () => {
      expect(() => parseSchema(text, 's.json')).toThrow(message);
    });
});

describe('the published JSON Schema (schemas/mlx-data-schema.v1.json)', () => {
  it('accepts what inference writes and names the same expectations and keys as the reader', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const { EXPECTATION_KEYS } = await import('./schema.js');
    const file = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../schemas/mlx-data-schema.v1.json');
    const published = JSON.parse(fs.readFileSync(file, 'utf8'));
    const { default: Ajv } = await import('ajv');
    const validate = new Ajv({ allErrors: true }).compile(published);
    const written = JSON.parse(formatSchema(inferSchema(profile)));
    expect(validate(written), JSON.stringify(validate.errors)).toBe(true);
    const branches = published.properties.expectations.items.oneOf as { properties: Record<string, unknown>; required: string[] }[];
    const fromSchema = Object.fromEntries(
      branches.map((b) => [
        (b.properties.expect as { const: string }).const,
        {
          required: b.required.filter((k) => k !== 'expect').sort(),
          all: Object.keys(b.properties)
            .filter((k) => k !== 'expect' && k !== 'severity')
            .sort(),
        },
      ]),
    );
    const fromReader = Object.fromEntries(
      Object.entries(EXPECTATION_KEYS).map(([k, v]) => [k, { required: [...v.required].sort(), all: [...v.required, ...v.optional].sort() }]),
    );
    expect(fromSchema).toEqual(fromReader);
    expect(validate({ mlx_data_schema: 1, expectations: [{ expect: 'sorted', column: 'x' }] })).toBe(false);
  });
});
