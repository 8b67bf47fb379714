import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { describe } from 'vitest';

/** Debian's Chromium: `apt-get install -y chromium` (`.ci/run` installs it when missing). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const missing = !existsSync(CHROMIUM_PATH);
const skip = missing && !process.env.CI;
if (skip) {
  console.warn(
    `[e2e] browser tests skipped: no Chromium at ${CHROMIUM_PATH}. Install it with: apt-get install -y chromium`,
  );
}

/**
 * `describe` for suites that drive a real Chromium. Without Chromium they are skipped on a
 * developer machine and fail under `CI`, where a missing browser is a broken setup.
 */
export const describeInChromium: ReturnType<typeof describe.skipIf> = describe.skipIf(skip);

/** Starts headless Chromium with the flags that work in containers and CI. */
export function launchChromium(): Promise<Browser> {
  if (missing) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}; the browser tests need it. Install it with: apt-get install -y chromium`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
