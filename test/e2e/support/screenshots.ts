import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

/**
 * Saves a screenshot into docs/ for the README, only when asked
 * (`UPDATE_SCREENSHOTS=1 npx vitest run test/e2e`), so test runs never touch tracked files.
 */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  if (!process.env.UPDATE_SCREENSHOTS) return;
  await page.screenshot({ path: fileURLToPath(new URL(`../../../docs/${name}`, import.meta.url)) });
}
