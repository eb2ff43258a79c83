// All benchmarks in one run, as Markdown: `npm run bench` (full) or `npm run bench -- --quick`.
// Figures are medians of several runs; the machine is shared, so compare ratios from one run.
import os from 'node:os';
import { channelBench, type ChannelBenchResult } from './channel.ts';
import { formatMicro, microBench } from './micro.ts';
import { nativeRingBench } from './native.ts';
import { formatPipelineFigures, pipelineBenchMedian } from './pipeline.ts';
import { formatStateBench, stateBench } from './state.ts';

const quick = process.argv.includes('--quick');
const runs = quick ? 1 : 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`# weir benchmarks\n\nNode ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${runs} run(s) each, medians.\n`);

const ringFrames = quick ? 1_000_000 : 20_000_000;
const channel: ChannelBenchResult[] = [];
for (let i = 0; i < runs; i++) channel.push(await channelBench({ frames: ringFrames }));
const m = (k: keyof ChannelBenchResult) => median(channel.map((r) => r[k] as number));
console.log('## Channel: one ring between two threads against postMessage\n');
console.log('| channel | frames/s |\n|---|---:|');
console.log(`| SAB ring, 8-byte frames (${ringFrames.toLocaleString('en')}) | ${(m('ringFramesPerSec') / 1e6).toFixed(1)} M |`);
console.log(`| postMessage, one record per message | ${(m('postMessageFramesPerSec') / 1e6).toFixed(2)} M |`);
console.log(`| postMessage, 512 records per message | ${(m('postMessageBatchedFramesPerSec') / 1e6).toFixed(2)} M |`);
console.log(`| **ring / postMessage per record** | **${m('ratio').toFixed(0)}×** |\n`);

const native = [];
for (let i = 0; i < runs; i++) native.push((await nativeRingBench(ringFrames)).framesPerSec);
const nativeRate = median(native);
console.log('## Native baseline: the same ring in C (two pthreads, C11 atomics)\n');
console.log('| ring | frames/s |\n|---|---:|');
console.log(`| C (native-bench/c/spsc_ring.c) | ${(nativeRate / 1e6).toFixed(0)} M |`);
console.log(`| TypeScript (SharedArrayBuffer) | ${(m('ringFramesPerSec') / 1e6).toFixed(1)} M |`);
console.log(`\nThe TypeScript channel reaches ${((m('ringFramesPerSec') / nativeRate) * 100).toFixed(0)} % of the C ring on this hardware.\n`);

console.log('## Micro-benchmarks (tinybench)\n');
console.log(formatMicro(await microBench({ quick })));
console.log('');

console.log('## Keyed state\n');
console.log(formatStateBench(stateBench({ quick }), quick ? '10,000 keys, 20,000 ops, 1 run' : '100,000 keys, 300,000 ops, median of 3 runs'));
console.log('');

console.log('## End to end: generator → map → filter → keyBy → sink\n');
const records = quick ? 1_000_000 : 10_000_000;
console.log(formatPipelineFigures(await pipelineBenchMedian({ records, workers: [1, 2], runs })));
