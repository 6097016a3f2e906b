import { describe, expect, it } from 'vitest';
import { createRng } from '../models/onnx/prng.js';
import { parseFormData, TooManyParts } from './multipart.js';

/** A form serialized by the platform (undici), as fetch sends it: its bytes and content type. */
async function encode(form: FormData): Promise<{ body: Uint8Array; type: string }> {
  const r = new Response(form);
  return { body: new Uint8Array(await r.arrayBuffer()), type: r.headers.get('content-type')! };
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

describe('parseFormData', () => {
  it('reads 200 random forms exactly as undici does: names, filenames, types and bytes', async () => {
    const rng = createRng(77);
    const tricky = ['\r\n', '--', '\r\n--', 'Content-Disposition: form-data; name="x"', '\r\n\r\n', 'é☃', '"', ';'];
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rng.next() < 0.1 ? 0x2d : rng.int(256)));
    for (let round = 0; round < 200; round++) {
      const form = new FormData();
      const fields = 1 + rng.int(4);
      for (let f = 0; f < fields; f++) {
        const name = `f${f}${tricky[rng.int(tricky.length)].replace(/[\r\n"]/g, '')}`;
        if (rng.next() < 0.5) {
          const data = new Uint8Array([...bytes(rng.int(300)), ...Buffer.from(tricky[rng.int(tricky.length)]), ...bytes(rng.int(50))]);
          form.append(name, new Blob([data], rng.next() < 0.5 ? { type: 'image/png' } : {}), `img ${f}${rng.next() < 0.3 ? 'é' : ''}.png`);
        } else form.append(name, `value ${tricky[rng.int(tricky.length)]} ${rng.int(1000)}`);
      }
      const { body, type } = await encode(form);
      const ours = parseFormData(body, type);
      const theirs = [...(await new Response(body, { headers: { 'content-type': type } }).formData()).entries()];
      expect(
        ours.map((p) => p.name),
        `round ${round}`,
      ).toEqual(theirs.map(([n]) => n));
      for (let i = 0; i < ours.length; i++) {
        const v = theirs[i][1];
        if (typeof v === 'string') {
          expect(ours[i].filename).toBeUndefined();
          expect(text(ours[i].data)).toBe(v);
        } else {
          expect(ours[i].filename).toBe(v.name);
          expect(Buffer.from(ours[i].data).equals(Buffer.from(await v.arrayBuffer())), `round ${round} part ${i}`).toBe(true);
          if (v.type) expect(ours[i].contentType).toBe(v.type);
        }
      }
    }
  });

  it('gives views into the body, not copies', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(1000).fill(7)]), 'a.bin');
    const { body, type } = await encode(form);
    const [part] = parseFormData(body, type);
    expect(part.data.buffer).toBe(body.buffer);
    expect(part.data.length).toBe(1000);
  });

  const handmade = (type: string, ...lines: string[]) => parseFormData(Buffer.from(lines.join('\r\n')), type);

  it('reads curl-style bodies with a preamble, an epilogue, transport padding and a quoted boundary', () => {
    const parts = handmade(
      'multipart/form-data; boundary="a b:c"',
      'preamble text',
      '--a b:c  ',
      'Content-Disposition: form-data; name=file; filename="cat \\"1\\".jpg"',
      'Content-Type: image/jpeg',
      '',
      'JPEGDATA',
      '--a b:c',
      'content-disposition: FORM-DATA; name="note"',
      '',
      'hi',
      '--a b:c--',
      'epilogue',
    );
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatchObject({ name: 'file', filename: 'cat "1".jpg', contentType: 'image/jpeg' });
    expect(text(parts[0].data)).toBe('JPEGDATA');
    expect(parts[1]).toMatchObject({ name: 'note', filename: undefined });
    expect(text(parts[1].data)).toBe('hi');
  });

  it("reads RFC 5987 filenames (filename*=UTF-8''…), which older Python clients send for non-ASCII names", () => {
    const parts = handmade(
      'multipart/form-data; boundary=XX',
      '--XX',
      'Content-Disposition: form-data; name="file"; filename*=UTF-8\'\'caf%C3%A9%20%E2%98%83.jpg',
      '',
      'x',
      '--XX',
      'Content-Disposition: form-data; name="file"; filename="plain.jpg"; filename*=UTF-8\'\'fancy.jpg',
      '',
      'y',
      '--XX--',
    );
    expect(parts.map((p) => p.filename)).toEqual(['café ☃.jpg', 'fancy.jpg']);
  });

  it('reads a part with no headers but its disposition, and an empty part', () => {
    const parts = handmade('multipart/form-data; boundary=XX', '--XX', 'Content-Disposition: form-data; name="e"; filename=""', '', '', '--XX--');
    expect(parts).toEqual([{ name: 'e', filename: '', contentType: undefined, data: expect.any(Uint8Array) }]);
    expect(parts[0].data.length).toBe(0);
  });

  it('stops at file maxFiles + 1 or field maxFields + 1, before reading the rest (even a malformed rest)', () => {
    const part = (i: number, file: boolean) => [`--XX`, `Content-Disposition: form-data; name="f${i}"${file ? `; filename="${i}.png"` : ''}`, '', 'x'];
    const form = (files: number, fields: number, tail: string[] = ['--XX--']) => [
      ...Array.from({ length: files }, (_, i) => part(i, true)).flat(),
      ...Array.from({ length: fields }, (_, i) => part(i, false)).flat(),
      ...tail,
    ];
    const limits = { maxFiles: 3, maxFields: 2 };
    const type = 'multipart/form-data; boundary=XX';
    const parse = (lines: string[]) => parseFormData(new TextEncoder().encode(lines.join('\r\n')), type, limits);
    expect(parse(form(3, 2))).toHaveLength(5);
    const refused = (lines: string[]) => {
      try {
        parse(lines);
      } catch (err) {
        return err instanceof TooManyParts ? [err.kind, err.limit, err.message] : err;
      }
      return 'parsed';
    };
    // The malformed tail (no closing boundary) is never reached: counting stopped first.
    expect(refused(form(4, 0, ['--XX', 'junk']))).toEqual(['files', 3, 'the form has more than 3 files']);
    expect(refused(form(0, 3, ['--XX', 'junk']))).toEqual(['fields', 2, 'the form has more than 2 fields']);
    expect(handmade(type, ...form(50, 50))).toHaveLength(100);
  });

  const refusals: [string, string, string[]][] = [
    ['no boundary in the content type', 'multipart/form-data', ['--XX', 'Content-Disposition: form-data; name="a"', '', 'x', '--XX--']],
    ['a boundary over 70 characters', `multipart/form-data; boundary=${'b'.repeat(71)}`, ['--x']],
    ['no boundary in the body', 'multipart/form-data; boundary=XX', ['just text']],
    ['no closing boundary', 'multipart/form-data; boundary=XX', ['--XX', 'Content-Disposition: form-data; name="a"', '', 'x']],
    ['a part without a name', 'multipart/form-data; boundary=XX', ['--XX', 'Content-Disposition: form-data', '', 'x', '--XX--']],
    ['a part without a disposition', 'multipart/form-data; boundary=XX', ['--XX', 'Content-Type: text/plain', '', 'x', '--XX--']],
    ['a header line without a colon', 'multipart/form-data; boundary=XX', ['--XX', 'Content-Disposition: form-data; name="a"', 'garbage', '', 'x', '--XX--']],
    ['headers that never end', 'multipart/form-data; boundary=XX', ['--XX', 'Content-Disposition: form-data; name="a"']],
    ['a boundary line with text after it', 'multipart/form-data; boundary=XX', ['--XXjunk', 'Content-Disposition: form-data; name="a"', '', 'x', '--XX--']],
  ];
  for (const [what, type, lines] of refusals)
    it(`refuses ${what}`, () => {
      expect(() => handmade(type, ...lines)).toThrow();
    });
});
