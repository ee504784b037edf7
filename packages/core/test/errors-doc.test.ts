import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errorCodes, httpStatusOf, type ErrorCode } from '@cairn/core';

test('docs/errors.md lists every error code with its status, and nothing else', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [
    m[1],
    Number(m[2]),
  ]);
  const documented = new Map(rows as [string, number][]);
  for (const code of Object.keys(errorCodes) as ErrorCode[]) {
    assert.equal(documented.get(code), httpStatusOf(code), `docs/errors.md row for ${code}`);
  }
  assert.equal(documented.size, Object.keys(errorCodes).length, 'no undocumented extra rows');
});
