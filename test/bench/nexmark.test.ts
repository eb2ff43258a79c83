import { expect, test } from 'vitest';
import { formatNexmarkTable, main } from '../../native-bench/nexmark.ts';

// bench:nexmark, small: it must keep running end to end (no speed asserted). JSON-lines input, so
// the files are written, read by weir and by the plain program; q5's row counts must agree (the
// script fails otherwise).
test('the Nexmark benchmark runs a query in both modes and its single-thread program', async () => {
  const { rows, markdown } = await main(['--queries', 'q5', '--events', '3000', '--parallelism', '2', '--state-backend', 'heap', '--source', 'jsonl']);
  expect(rows.map((r) => `${r.query} ${r.runner}`)).toEqual(['q5 continuous', 'q5 micro-batch', 'q5 single thread']);
  for (const r of rows) {
    expect(r.events).toBe(3000);
    expect(r.rows).toBeGreaterThan(0);
    expect(r.rows).toBe(rows[2].rows);
    expect(Number.isFinite(r.costRatio) && r.costRatio > 0).toBe(true);
    expect(r.flinkEventsPerSecPerCore).toBe(22_000);
  }
  expect(markdown).toBe(formatNexmarkTable(rows));
  expect(markdown.split('\n').length).toBe(2 + 3);
});
