// Test helper: frames a whole input and decodes every record with a format, collecting values and bad records.

import { LineFramer } from '../../../../core/connectors/formats/line-framer.js';
import { SKIP, badRecord, type RecordFormat } from '../../../../core/connectors/formats/record-format.js';
import { BadInputError } from '../../../../core/connectors/errors.js';
import type { BadRecord } from '../../../../core/connectors/source.js';

export function decodeAll<T>(format: RecordFormat<T>, input: string | Buffer, maxLineBytes?: number): { values: T[]; bad: BadRecord[] } {
  const framer = new LineFramer(0, 1, { ...format.framing, maxLineBytes });
  framer.push(typeof input === 'string' ? Buffer.from(input) : input);
  framer.finish();
  const decoder = format.createDecoder();
  const values: T[] = [];
  const bad: BadRecord[] = [];
  for (let r = framer.shift(); r; r = framer.shift()) {
    try {
      const v = decoder.decode(r, 'in.txt');
      if (v !== SKIP) values.push(v);
    } catch (e) {
      if (!(e instanceof BadInputError)) throw e;
      bad.push(badRecord(r, 'in.txt', e));
    }
  }
  return { values, bad };
}
