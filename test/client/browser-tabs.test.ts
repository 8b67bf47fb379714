/**
 * Tabs in Chromium (pages of one browser context): `shareAcrossTabs()` holds one connection for all
 * of them and survives the closing of the tab that holds it, with no loss and no duplicate;
 * without Web Locks each tab connects on its own. `pauseWhenHidden` lets the connection go while
 * the page is hidden and comes back once, with no extra request on quick tab switches.
 */
import type { SseStream } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { describeInChromium, launchChromium } from '../support/chromium.js';
import { sleep, until } from '../support/wait.js';
import { bundleClient } from './support/browser-bundle.js';
import { openPage, servingPage } from './support/browser-page.js';
import { collect, type TestWindow } from './support/page-client.js';
import { hubServer, plainServer, TOPIC } from './support/servers.js';

const price = (n: number) => ({ event: 'price' as const, data: { symbol: 'A', n } });
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index);
const seenIn = (tab: Page) => tab.evaluate(() => (window as unknown as TestWindow).seen);
const stateIn = (tab: Page) => tab.evaluate(() => (window as unknown as TestWindow).client.state);

describeInChromium('@ssekit/client across tabs in Chromium', () => {
  let browser: Browser;
  let bundle: string;

  beforeAll(async () => {
    bundle = await bundleClient({ tabs: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext();
    onTestFinished(() => context.close());
    return context;
  }

  const streamRequests = (server: Server) =>
    server.requests.filter((request) => request.url === '/events');

  type Server = Awaited<ReturnType<typeof hubServer>>;

  /**
   * `count` tabs sharing one connection to a fresh hub, the first one leading, each having
   * received events 1 to 10.
   */
  async function sharingTabs(
    count: number,
    heartbeat?: number,
  ): Promise<{ server: Server; tabs: [Page, ...Page[]] }> {
    const server = await hubServer(undefined, {
      around: servingPage(bundle),
      stream: heartbeat === undefined ? {} : { heartbeat },
    });
    const origin = new URL(server.url).origin;
    const context = await newContext();
    const tabs: Page[] = [];
    for (let index = 0; index < count; index++) {
      const tab = await openPage(context, origin);
      await collect(tab, server.url, {
        share: true,
        retryDelay: 20,
        ...(heartbeat === undefined ? {} : { heartbeat, missedHeartbeats: 10 }),
      });
      // The first tab takes the lock before the others ask for it.
      if (index === 0) {
        await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
      }
      tabs.push(tab);
    }
    for (const tab of tabs) {
      await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    }
    expect(streamRequests(server)).toHaveLength(1);
    for (let n = 1; n <= 10; n++) await server.hub.publish(TOPIC, price(n));
    for (const tab of tabs) {
      await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 10);
    }
    return { server, tabs: tabs as [Page, ...Page[]] };
  }

  /** Publishes events `from` to `to` (11 to 40 unless told), 10 ms apart. */
  async function publishMore(server: Server, from = 11, to = 40): Promise<void> {
    for (let n = from; n <= to; n++) {
      await server.hub.publish(TOPIC, price(n));
      await sleep(10);
    }
  }

  /**
   * The debugger of `tab`: `stop()` holds the page's JavaScript at the next script it runs, as a
   * frozen tab's (it keeps its Web Lock, runs no task, and this Chromium never delivers it what a
   * channel carried meanwhile); `stopped()` waits until that has taken hold (a pause asked for
   * takes hold only when the page next runs a script); `resume()` waits for that too (resuming
   * before is refused), then lets it run.
   */
  async function debuggerOf(tab: Page) {
    const session = await tab.context().newCDPSession(tab);
    const paused = new Promise<void>((resolve) => session.once('Debugger.paused', () => resolve()));
    await session.send('Debugger.enable');
    const stopped = () =>
      Promise.race([
        paused,
        sleep(10_000).then(() => Promise.reject(new Error('the tab never stopped'))),
      ]);
    return {
      stop: async () => void (await session.send('Debugger.pause')),
      stopped,
      resume: async () => {
        await stopped();
        await session.send('Debugger.resume');
      },
    };
  }

  /**
   * Makes the leading `tab` relay no heartbeat and close its client right after it posts its next
   * event: it answers no tab that asks what it missed.
   */
  const closeAfterNextEvent = (tab: Page) =>
    tab.evaluate(() => {
      const post = BroadcastChannel.prototype.postMessage;
      BroadcastChannel.prototype.postMessage = function (this: BroadcastChannel, message) {
        const { kind } = message as { kind?: string };
        if (kind === 'alive') return;
        post.call(this, message);
        if (kind === 'event') (window as unknown as TestWindow).client.close();
      };
    });

  /**
   * One more tab sharing `url`'s stream, in `leader`'s context (its options over the usual);
   * `beforeJoining` runs once its page is loaded, before its client is made.
   */
  async function joiningTab(
    leader: Page,
    url: string,
    options: Parameters<typeof collect>[2] = {},
    beforeJoining?: () => Promise<void>,
  ) {
    const tab = await openPage(leader.context(), new URL(url).origin);
    await beforeJoining?.();
    await collect(tab, url, { share: true, heartbeat: 100, missedHeartbeats: 10, ...options });
    return tab;
  }

  /**
   * A leading and a following tab on a stream without ids (a plain server): `send` writes events
   * `from` to `to` on the stream the `index`th request opened (on every stream if omitted).
   */
  async function tabsOnStreamWithoutIds() {
    const streams: SseStream[] = [];
    const server = await plainServer((req, res) => {
      streams.push(openSseStream(req, res, { heartbeat: 100 }));
    }, servingPage(bundle));
    const send = (from: number, to: number, index?: number) => {
      for (let n = from; n <= to; n++) {
        for (const stream of index === undefined ? streams : streams.slice(index, index + 1)) {
          stream.send(price(n));
        }
      }
    };
    const leader = await openPage(await newContext(), new URL(server.url).origin);
    await collect(leader, server.url, { share: true, heartbeat: 100, missedHeartbeats: 10 });
    await leader.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    const follower = await joiningTab(leader, server.url);
    await follower.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    return { streams, send, leader, follower };
  }

  /** Each of `tabs` ends with events 1 to 40, each once, in order. */
  async function expectAllOnce(tabs: Page[]): Promise<void> {
    for (const tab of tabs) {
      await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 40, null, {
        timeout: 10_000,
      });
    }
    await sleep(200);
    for (const tab of tabs) expect(await seenIn(tab)).toEqual(range(1, 40));
  }

  it.each([2, 3])(
    '%i tabs share one connection; when its tab closes mid-stream, another resumes: no loss, no duplicate',
    async (count) => {
      const { server, tabs } = await sharingTabs(count);
      // The leader's tab closes while events keep coming.
      const [leader, ...others] = tabs;
      const publishing = publishMore(server);
      await sleep(50);
      await leader.close({ runBeforeUnload: true });
      await publishing;
      await expectAllOnce(others);
      const requests = streamRequests(server);
      expect(requests).toHaveLength(2);
      expect(requests[1]?.lastEventId).toMatch(/^\d+-\d+$/);
    },
    60_000,
  );

  it('when the leading tab stops running mid-stream (frozen), another takes over: no loss, no duplicate; the stopped tab follows once it runs again', async () => {
    // The server heartbeats every 100 ms: a live leader is not silent for 1 s (10 of them).
    const { server, tabs } = await sharingTabs(2, 100);
    const [leader, follower] = tabs as [Page, Page];
    // A frozen tab runs none of its tasks and keeps its Web Lock. Page.setWebLifecycleState
    // 'frozen' has no effect on this headless Chromium (its timers go on), so the debugger stops
    // the page's JavaScript instead: the same for the other tabs, with no freeze event at all.
    const debug = await debuggerOf(leader);
    // Mid-stream by construction, not by timing: the tabs have 1 to 20 when the leader stops
    // (at the next JavaScript it runs: an event, a heartbeat, a timer), and 21 to 40 come after.
    await publishMore(server, 11, 20);
    await follower.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 20);
    await debug.stop();
    await publishMore(server, 21, 40);
    await expectAllOnce([follower]);
    const requests = streamRequests(server);
    expect(requests).toHaveLength(2);
    expect(requests[1]?.lastEventId).toMatch(/^\d+-\d+$/);
    // Running again, the tab finds its lock taken: it drops its connection and follows.
    await debug.resume();
    await until(() => server.hub.stats().openStreams === 1, 'the stopped tab to let go');
    await server.hub.publish(TOPIC, price(41));
    for (const tab of tabs) {
      await tab.waitForFunction(() => (window as unknown as TestWindow).seen.includes(41));
    }
    await sleep(200);
    // Its own watchdog may fire before it learns the lock is gone (both wait on its first task
    // back): then one more request, which it drops at once.
    expect(streamRequests(server).length).toBeLessThanOrEqual(3);
    expect(server.hub.stats().openStreams).toBe(1);
    expect(await seenIn(follower)).toEqual(range(1, 41));
    expect(await seenIn(leader)).toEqual(range(1, 41));
  }, 60_000);

  it('a tab that stops running while it follows gets, once it runs again, the events it missed, on a quiet stream too', async () => {
    const { server, tabs } = await sharingTabs(2, 100);
    const [first, second] = tabs as [Page, Page];
    const debug = await debuggerOf(first);
    // The first tab leads and stops: the second takes over. Running again, the first finds its
    // lock taken and follows.
    await debug.stop();
    await until(() => streamRequests(server).length === 2, 'the second tab to take over');
    await debug.resume();
    await until(() => server.hub.stats().openStreams === 1, 'the first tab to let go');
    await publishMore(server, 11, 20);
    await first.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 20);
    // Stopped while it follows, the first tab misses the leader's posts of 21 to 40 (this
    // Chromium never delivers what a channel carried while the debugger held the page).
    await debug.stop();
    await publishMore(server, 21, 40);
    await expectAllOnce([second]);
    await debug.resume();
    // The posts of 22 to 40 never reach it, and no event comes after them: the leader's relayed
    // heartbeat names the number of its last post, past the tab's, so it asks for what it missed.
    await first.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 40);
    await server.hub.publish(TOPIC, price(41));
    for (const tab of tabs) {
      await tab.waitForFunction(() => (window as unknown as TestWindow).seen.includes(41));
    }
    await sleep(200);
    expect(await seenIn(first)).toEqual(range(1, 41));
    expect(await seenIn(second)).toEqual(range(1, 41));
    // Nothing was lost for good, so no tab told its app to refetch.
    for (const tab of tabs) {
      expect(await tab.evaluate(() => (window as unknown as TestWindow).resets)).toEqual([]);
    }
  }, 60_000);

  it("a following tab that missed the end of a leader's term gets it from the next leader", async () => {
    const { server, tabs } = await sharingTabs(3, 100);
    const [leader, next, stopped] = tabs as [Page, Page, Page];
    const debug = await debuggerOf(stopped);
    await debug.stop();
    await publishMore(server, 11, 20);
    await next.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 20);
    // The leader's tab closes; the next tab in the lock's queue takes over from 20.
    await leader.close({ runBeforeUnload: true });
    await until(() => streamRequests(server).length === 2, 'the next tab to take over');
    await debug.resume();
    await publishMore(server, 21, 30);
    await stopped.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 30);
    await sleep(200);
    expect(await seenIn(stopped)).toEqual(range(1, 30));
    expect(await stopped.evaluate(() => (window as unknown as TestWindow).resets)).toEqual([]);
  }, 60_000);

  it('a following tab that holds events past a gap no tab fills tells its app (events-lost)', async () => {
    const { server, tabs } = await sharingTabs(3, 100);
    const [leader, next, follower] = tabs as [Page, Page, Page];
    const followerDebug = await debuggerOf(follower);
    await followerDebug.stop();
    await publishMore(server, 11, 20);
    await leader.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 20);
    // The next tab in the lock's queue stops: it will take the lock but cannot run to lead.
    const nextDebug = await debuggerOf(next);
    await nextDebug.stop();
    await closeAfterNextEvent(leader);
    await followerDebug.resume();
    await sleep(200);
    // 21 shows the follower its gap; its question goes unanswered for the silence limit (1 s).
    await server.hub.publish(TOPIC, price(21));
    await follower.waitForFunction(() => (window as unknown as TestWindow).resets.length > 0);
    expect(await follower.evaluate(() => (window as unknown as TestWindow).resets)).toEqual([
      'events-lost',
    ]);
    expect(await seenIn(follower)).toContain(21);
    await nextDebug.resume();
  }, 60_000);

  it('a tab that takes the lead while it waits for a replay connects from before the events it missed', async () => {
    const { server, tabs } = await sharingTabs(2, 100);
    const [leader, follower] = tabs as [Page, Page];
    // Stopped while it follows, the follower misses the leader's posts of 11 to 20.
    const debug = await debuggerOf(follower);
    await debug.stop();
    await publishMore(server, 11, 20);
    await leader.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 20);
    // The leader relays no heartbeat (which would tell the follower what it missed before 21),
    // and closes its client right after posting 21: the follower, whose numbers skip to 21, asks
    // for what it missed and holds 21, but no leader is left to answer, and the lock passes to it
    // while it holds.
    await closeAfterNextEvent(leader);
    await debug.resume();
    await sleep(200);
    expect((await seenIn(follower)).length).toBeLessThan(20);
    await server.hub.publish(TOPIC, price(21));
    await follower.waitForFunction(() => (window as unknown as TestWindow).seen.includes(21));
    await sleep(200);
    expect(await seenIn(follower)).toEqual(range(1, 21));
    expect(await follower.evaluate(() => (window as unknown as TestWindow).resets)).toEqual([]);
    const requests = streamRequests(server);
    expect(requests).toHaveLength(2);
  }, 60_000);

  it('a tab that joins from an earlier id while the leader cannot answer asks again at the first post it hears', async () => {
    const { server, tabs } = await sharingTabs(1, 100);
    const [leader] = tabs;
    const tenth = await leader.evaluate(() => (window as unknown as TestWindow).client.lastEventId);
    await publishMore(server, 11, 20);
    await leader.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 20);
    // A tab that saw 1 to 10 (in an earlier session) joins while the leader is stopped: its
    // question goes unanswered for the silence limit (1 s), with nothing to hold. Its page is
    // loaded first: no page of the context is made while one of them is stopped.
    const debug = await debuggerOf(leader);
    const joining = await joiningTab(
      leader,
      server.url,
      { retryDelay: 20, lastEventId: tenth },
      async () => {
        await debug.stop();
        await debug.stopped();
      },
    );
    await sleep(1_500);
    await debug.resume();
    // The leader's first post names 20 as its last id before 21: one the joining tab never had.
    await server.hub.publish(TOPIC, price(21));
    await joining.waitForFunction(() => (window as unknown as TestWindow).seen.includes(21));
    await sleep(200);
    expect(await seenIn(joining)).toEqual(range(11, 21));
    expect(await joining.evaluate(() => (window as unknown as TestWindow).resets)).toEqual([]);
    expect(streamRequests(server).length).toBeLessThanOrEqual(2);
  }, 60_000);

  it('a tab that joined a quiet stream with no id yet misses nothing when the lead passes', async () => {
    const { server, tabs } = await sharingTabs(2, 100);
    const [leader] = tabs;
    const late = await joiningTab(leader, server.url);
    await late.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    // It hears the leader's relayed heartbeats, which name 10 as the leader's last id.
    await sleep(800);
    await leader.close({ runBeforeUnload: true });
    await until(() => streamRequests(server).length === 2, 'the next tab to take over');
    await server.hub.publish(TOPIC, price(11));
    await late.waitForFunction(() => (window as unknown as TestWindow).seen.includes(11));
    await sleep(200);
    expect(await seenIn(late)).toEqual([11]);
    expect(await late.evaluate(() => (window as unknown as TestWindow).resets)).toEqual([]);
  }, 60_000);

  it('a following tab whose question is answered after it stopped waiting still gets what it missed', async () => {
    const { server, tabs } = await sharingTabs(1, 100);
    const [leader] = tabs;
    const tenth = await leader.evaluate(() => (window as unknown as TestWindow).client.lastEventId);
    // With no watchdog of its own (heartbeat: false) it never takes the lead: only the leader's
    // answer can fill its gap. It waits for an answer 1 s.
    const follower = await joiningTab(leader, server.url, { heartbeat: false, lastEventId: tenth });
    await follower.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    // From now on the leader answers a question 1.5 s late, and relays no heartbeat once asked.
    await leader.evaluate(() => {
      const post = BroadcastChannel.prototype.postMessage;
      let asked = false;
      BroadcastChannel.prototype.postMessage = function (this: BroadcastChannel, message) {
        const { kind } = message as { kind?: string };
        if (kind === 'alive' && asked) return;
        if (kind !== 'replay') return post.call(this, message);
        asked = true;
        setTimeout(() => post.call(this, message), 1_500);
      };
    });
    const debug = await debuggerOf(follower);
    await debug.stop();
    await publishMore(server, 11, 20);
    await leader.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 20);
    // On this quiet stream, the leader's relayed heartbeat shows the follower its gap.
    await debug.resume();
    await follower.waitForFunction(
      () => (window as unknown as TestWindow).seen.length >= 10,
      null,
      { timeout: 10_000 },
    );
    await server.hub.publish(TOPIC, price(21));
    await follower.waitForFunction(() => (window as unknown as TestWindow).seen.includes(21));
    await sleep(200);
    expect(await seenIn(follower)).toEqual(range(11, 21));
    expect(await follower.evaluate(() => (window as unknown as TestWindow).resets)).toEqual([]);
    expect(streamRequests(server)).toHaveLength(1);
  }, 60_000);

  it('a following tab that misses events of a stream without ids tells its app (events-lost)', async () => {
    const { send, leader, follower } = await tabsOnStreamWithoutIds();
    send(1, 10);
    await follower.waitForFunction(() => (window as unknown as TestWindow).seen.length === 10);
    const debug = await debuggerOf(follower);
    await debug.stop();
    send(11, 20);
    await leader.waitForFunction(() => (window as unknown as TestWindow).seen.length === 20);
    await debug.resume();
    // With no id to ask after, no tab can replay 11 to 20 to it.
    await follower.waitForFunction(() => (window as unknown as TestWindow).resets.length > 0);
    send(21, 21);
    await follower.waitForFunction(() => (window as unknown as TestWindow).seen.includes(21));
    expect(await follower.evaluate(() => (window as unknown as TestWindow).resets)).toEqual([
      'events-lost',
    ]);
    // It stops at the next JavaScript it runs: the handling of 11 or of a relayed heartbeat.
    expect([
      [...range(1, 10), 21],
      [...range(1, 11), 21],
    ]).toContainEqual(await seenIn(follower));
  }, 60_000);

  it('a tab that led a stream without ids, stopped and was replaced, tells its app what it missed (events-lost)', async () => {
    const { streams, send, leader, follower } = await tabsOnStreamWithoutIds();
    send(1, 10, 0);
    await follower.waitForFunction(() => (window as unknown as TestWindow).seen.length === 10);
    const debug = await debuggerOf(leader);
    await debug.stop();
    await until(() => streams.length === 2, 'the follower to take over');
    // Only the new leader's stream carries 11 to 20 (and 21): the stopped tab gets them from its posts or not at all.
    send(11, 20, 1);
    await follower.waitForFunction(() => (window as unknown as TestWindow).seen.length === 20);
    await debug.resume();
    // The new leader's first post the stopped tab hears names a number past 1 in its term.
    await leader.waitForFunction(() => (window as unknown as TestWindow).resets.length > 0);
    send(21, 21, 1);
    await leader.waitForFunction(() => (window as unknown as TestWindow).seen.includes(21));
    expect(await leader.evaluate(() => (window as unknown as TestWindow).resets)).toEqual([
      'events-lost',
    ]);
    expect(await seenIn(leader)).toEqual([...range(1, 10), 21]);
  }, 60_000);

  it('a following tab takes the answer of a leader of an earlier version (no id named in it)', async () => {
    const { server, tabs } = await sharingTabs(2, 100);
    const [leader, follower] = tabs as [Page, Page];
    await leader.evaluate(() => {
      const post = BroadcastChannel.prototype.postMessage;
      BroadcastChannel.prototype.postMessage = function (this: BroadcastChannel, message) {
        const { after: _, ...earlier } = message as { after?: string };
        post.call(this, (message as { kind?: string }).kind === 'replay' ? earlier : message);
      };
    });
    const debug = await debuggerOf(follower);
    await debug.stop();
    await publishMore(server, 11, 20);
    await leader.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 20);
    await debug.resume();
    await follower.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 20);
    await server.hub.publish(TOPIC, price(21));
    await follower.waitForFunction(() => (window as unknown as TestWindow).seen.includes(21));
    await sleep(200);
    expect(await seenIn(follower)).toEqual(range(1, 21));
    expect(await follower.evaluate(() => (window as unknown as TestWindow).resets)).toEqual([]);
  }, 60_000);

  it('a tab that joined a quiet stream with no id yet, then stopped, asks from where it began', async () => {
    const { server, tabs } = await sharingTabs(1, 100);
    const [leader] = tabs;
    const late = await joiningTab(leader, server.url);
    await late.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    // It hears the leader's relayed heartbeats (10 is the leader's last id), and stops in the
    // handling of one of them.
    await sleep(800);
    const debug = await debuggerOf(late);
    await debug.stop();
    await sleep(500);
    await publishMore(server, 11, 15);
    await leader.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 15);
    await debug.resume();
    await late.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 5);
    await server.hub.publish(TOPIC, price(16));
    await late.waitForFunction(() => (window as unknown as TestWindow).seen.includes(16));
    await sleep(200);
    expect(await seenIn(late)).toEqual(range(11, 16));
    expect(await late.evaluate(() => (window as unknown as TestWindow).resets)).toEqual([]);
  }, 60_000);

  it.each([
    ['Web Locks', 'locks'],
    ['BroadcastChannel', 'BroadcastChannel'],
  ])('connects once per tab without %s', async (_name, missing) => {
    const server = await hubServer(undefined, { around: servingPage(bundle) });
    const context = await newContext();
    await context.addInitScript((missing) => {
      Object.defineProperty(missing === 'locks' ? navigator : window, missing, {
        value: undefined,
      });
    }, missing);
    const tabs = [
      await openPage(context, new URL(server.url).origin),
      await openPage(context, new URL(server.url).origin),
    ];
    for (const tab of tabs) await collect(tab, server.url, { share: true });
    for (const tab of tabs) {
      await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    }
    expect(streamRequests(server)).toHaveLength(2);
    await server.hub.publish(TOPIC, price(1));
    for (const tab of tabs) {
      await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 1);
      expect(await seenIn(tab)).toEqual([1]);
    }
  });

  /**
   * Makes the page hidden or visible as a tab switch does, and tells it. With `showAfter`, hides
   * it and shows it again that many ms later by a timer of the page: that timer is due before the
   * client's pause and runs before it however late the page runs, where a second `evaluate` from
   * this process, held up as long as the threshold, would arrive after the pause.
   */
  const setHidden = (tab: Page, hidden: boolean, showAfter?: number) =>
    tab.evaluate(
      ([hidden, showAfter]) => {
        const set = (hidden: boolean) => {
          Object.defineProperty(document, 'visibilityState', {
            configurable: true,
            get: () => (hidden ? 'hidden' : 'visible'),
          });
          document.dispatchEvent(new Event('visibilitychange'));
        };
        set(hidden);
        if (showAfter === undefined) return;
        return new Promise<void>((shown) =>
          setTimeout(() => {
            set(false);
            shown();
          }, showAfter),
        );
      },
      [hidden, showAfter] as const,
    );

  it('pauseWhenHidden: lets go after the threshold, resumes once when shown, no request on quick switches', async () => {
    const server = await hubServer(undefined, { around: servingPage(bundle) });
    const context = await newContext();
    const tab = await openPage(context, new URL(server.url).origin);
    await collect(tab, server.url, { pauseWhenHidden: 300 });
    await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    await server.hub.publish(TOPIC, price(1));
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 1);
    // Quick switches, each shorter than the threshold: nothing changes.
    for (let switches = 0; switches < 5; switches++) await setHidden(tab, true, 30);
    await sleep(400);
    expect(streamRequests(server)).toHaveLength(1);
    expect(await stateIn(tab)).toBe('open');
    // Hidden past the threshold: the connection goes, and the server sees it go.
    await setHidden(tab, true);
    await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'paused');
    await until(() => server.hub.stats().openStreams === 0, 'the server to see the stream end');
    await server.hub.publish(TOPIC, price(2));
    // Shown again (twice in a row): one request, from the last id; the missed event arrives.
    await setHidden(tab, false);
    await setHidden(tab, false);
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 2);
    await sleep(200);
    expect(await seenIn(tab)).toEqual([1, 2]);
    const requests = streamRequests(server);
    expect(requests).toHaveLength(2);
    expect(requests[1]?.lastEventId).toMatch(/^\d+-\d+$/);
  });
});
