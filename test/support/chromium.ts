import { existsSync, readFileSync } from 'node:fs';
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

/**
 * What playwright-core passes as `--disable-features` (its chromiumSwitches.ts), which a second
 * `--disable-features` would replace, not extend: Chromium keeps the last value of a switch.
 * `launchChromium` checks, on every launch, that this still holds all of playwright-core's.
 */
const PLAYWRIGHT_DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
  'msForceBrowserSignIn',
  'msEdgeUpdateLaunchServicesPreferredVersion',
];

/**
 * The omnibox popup of every browser window, a WebUI page that headless Chromium preloads in a
 * renderer of its own and animates while idle: much of what a new context and page cost, and CPU
 * for as long as the browser runs (the README's "Working on ssekit" has the figures).
 */
const OMNIBOX_POPUP_FEATURES = [
  'WebUIOmniboxPopup',
  'WebUIOmniboxAimPopup',
  'WebUIOmniboxFullPopup',
];

/** Starts headless Chromium with the flags that work in containers and CI. */
export async function launchChromium(): Promise<Browser> {
  if (missing) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}; the browser tests need it. Install it with: apt-get install -y chromium`,
    );
  }
  const ours = [...PLAYWRIGHT_DISABLED_FEATURES, ...OMNIBOX_POPUP_FEATURES];
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      `--disable-features=${ours.join(',')}`,
    ],
  });
  try {
    await expectPlaywrightFeaturesKept(browser, ours);
  } catch (error) {
    await browser.close();
    throw error;
  }
  return browser;
}

/**
 * Fails the launch unless the browser's command line holds playwright-core's own
 * `--disable-features` first and `ours` last (the one Chromium applies), with every feature of
 * the first among ours.
 */
async function expectPlaywrightFeaturesKept(browser: Browser, ours: string[]): Promise<void> {
  const session = await browser.newBrowserCDPSession();
  const { processInfo } = (await session.send('SystemInfo.getProcessInfo')) as {
    processInfo: Array<{ type: string; id: number }>;
  };
  await session.detach();
  const browserProcess = processInfo.find((entry) => entry.type === 'browser');
  if (browserProcess === undefined) throw new Error('Chromium named no browser process');
  // Split on spaces too: Chromium may set its process title to its arguments joined by spaces.
  const lists = readFileSync(`/proc/${browserProcess.id}/cmdline`, 'utf8')
    .split(/[\0 ]/)
    .filter((arg) => arg.startsWith('--disable-features='))
    .map((arg) => arg.slice('--disable-features='.length));
  if (lists.length < 2 || lists.at(-1) !== ours.join(',')) {
    throw new Error(
      `expected playwright-core's --disable-features, then ours, on Chromium's command line; found ${JSON.stringify(lists)}`,
    );
  }
  const applied = new Set(ours);
  const dropped = lists
    .slice(0, -1)
    .flatMap((list) => list.split(','))
    .filter((feature) => !applied.has(feature));
  if (dropped.length > 0) {
    throw new Error(
      `playwright-core now disables ${dropped.join(', ')} too: add ${dropped.length === 1 ? 'it' : 'them'} to PLAYWRIGHT_DISABLED_FEATURES in test/support/chromium.ts`,
    );
  }
}
