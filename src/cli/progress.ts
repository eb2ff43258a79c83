import type { WriteStream } from 'node:tty';

/**
 * A progress bar on a terminal (redrawn in place), or a line every few seconds when the stream is
 * not a terminal (CI logs), so long runs show they are alive without flooding the log.
 */
export function progressBar(stream: NodeJS.WriteStream | WriteStream) {
  const tty = Boolean(stream.isTTY);
  let lastLineMs = 0;
  let lastLabel = '';
  return {
    update(label: string, fraction: number) {
      const f = Math.max(0, Math.min(1, fraction));
      const width = 30;
      const filled = Math.round(f * width);
      const line = `${label.padEnd(40)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)} %`;
      if (tty) stream.write(`\r${line}`);
      else if (label !== lastLabel || Date.now() - lastLineMs > 5000) {
        stream.write(`${line}\n`);
        lastLineMs = Date.now();
      }
      lastLabel = label;
    },
    done() {
      if (tty) stream.write('\n');
    },
  };
}
