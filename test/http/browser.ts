/** Debian's Chromium, headless, as the browser tests and the screenshot script start it (never a downloaded browser). */
export const chromiumPath = '/usr/bin/chromium';

export const headlessChromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
