/**
 * What the browser tests keep on the page's `window`: the client and what it delivered.
 */
import type { ClientOptions, createClient, SseClient } from '@ssekit/client';
import type { pauseWhenHidden, shareAcrossTabs } from '@ssekit/client/tabs';
import type { Page } from 'playwright-core';
import type { PriceEvents } from './servers.js';

export interface TestWindow {
  createClient: typeof createClient;
  shareAcrossTabs: typeof shareAcrossTabs;
  pauseWhenHidden: typeof pauseWhenHidden;
  client: SseClient<PriceEvents>;
  /** `n` of each price event, in order. */
  seen: number[];
  /** Codes of what onError got. */
  errors: string[];
  resets: string[];
  token: string;
}

type Serializable = Omit<
  ClientOptions,
  'headers' | 'fetch' | 'decode' | 'signal' | 'connection' | `on${string}`
> & {
  /** The connection, made in the page: `shareAcrossTabs()` (or with this channel name). */
  share?: true | string;
  /** The connection, made in the page: `pauseWhenHidden(ms)`. */
  pauseWhenHidden?: number;
};

/** Creates `window.client` on `url` with `options`, collecting prices, errors and resets. */
export function collect(page: Page, url: string, options: Serializable = {}): Promise<void> {
  return page.evaluate(
    ({ url, options }) => {
      const w = window as unknown as TestWindow;
      w.seen = [];
      w.errors = [];
      w.resets = [];
      const { share, pauseWhenHidden, ...rest } = options;
      const connection =
        share !== undefined
          ? w.shareAcrossTabs(share === true ? undefined : share)
          : pauseWhenHidden !== undefined
            ? w.pauseWhenHidden(pauseWhenHidden)
            : undefined;
      w.client = w.createClient<PriceEvents>(url, {
        ...rest,
        connection,
        onError: (error) => w.errors.push(error.code),
        onReset: (reason) => w.resets.push(reason),
      });
      w.client.on('price', (price) => w.seen.push(price.n));
    },
    { url, options },
  );
}
