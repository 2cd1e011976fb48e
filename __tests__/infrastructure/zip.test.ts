// The deterministic zip writer, read back with a minimal reader of the format.
import { createZip, crc32, type ZipEntry } from '../../src/infrastructure/deterministic-zip';
import { readZip } from './support';

const entries: ZipEntry[] = [
  { name: 'graceful-shutdown/index.mjs', data: Buffer.from('console.log(1)\n'), mode: 0o644 },
  { name: 'extensions/graceful-shutdown', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
];

describe('the deterministic zip writer', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('sorts entries, keeps bytes and modes, and stamps every entry 1980-01-01 00:00', () => {
    const read = readZip(createZip(entries));
    expect(read.map((e) => [e.name, e.data.toString(), e.mode.toString(8)])).toEqual([
      ['extensions/graceful-shutdown', '#!/bin/sh\n', '755'],
      ['graceful-shutdown/index.mjs', 'console.log(1)\n', '644'],
    ]);
    for (const e of read) {
      expect([e.dosTime, e.dosDate]).toEqual([0, (1 << 5) | 1]);
      expect(e.crc).toBe(crc32(e.data));
    }
  });

  it('gives the same bytes for the same files in any order', () => {
    expect(createZip(entries).equals(createZip([...entries].reverse()))).toBe(true);
  });

  it('gives different bytes when a mode changes', () => {
    const changed = entries.map((e) => ({ ...e, mode: 0o644 }));
    expect(createZip(entries).equals(createZip(changed))).toBe(false);
  });
});
