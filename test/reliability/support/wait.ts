import { sleep } from '../../support/wait.js';

export { until } from '../../support/wait.js';

/** Lets pending I/O callbacks run: a few turns of the event loop. */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await sleep(10);
}
