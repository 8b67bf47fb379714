/**
 * The server paths every scenario runs on. Each opens one EventStream per request and hands it
 * to the scenario's handler; the scenario never knows which path serves it.
 */
import { createEventStreamResponse, type EventStream, type EventStreamOptions } from '@ssekit/core';
import { openEventStream } from '@ssekit/core/node';
import {
  type RunningServer,
  type ServerOptions,
  startFetchServer,
  startNodeServer,
} from './servers.js';

/** Runs per connection; `url` is the request's path and query. */
export type StreamHandler = (stream: EventStream, url: string) => void;

export interface TargetOptions extends ServerOptions {
  stream?: EventStreamOptions;
  /** Receives what a handler threw (the fetch entry point reports it; the node bridge rethrows). */
  onError?: (error: unknown) => void;
}

export interface Target {
  /** Shown in test names and in the figures. */
  name: string;
  start(handler: StreamHandler, options?: TargetOptions): Promise<RunningServer>;
}

/** `@ssekit/core/node` openEventStream on node:http. */
export const nodeBridge: Target = {
  name: 'core/node openEventStream',
  start: (handler, options = {}) =>
    startNodeServer((req, res) => {
      const stream = openEventStream(req, res, options.stream);
      handler(stream, req.url ?? '/');
    }, options),
};

/** `@ssekit/core` createEventStreamResponse, served by @hono/node-server on node:http. */
export const fetchEntryPoint: Target = {
  name: 'core createEventStreamResponse',
  start: (handler, options = {}) =>
    startFetchServer((request) => {
      const { pathname, search } = new URL(request.url);
      return createEventStreamResponse(request, (stream) => handler(stream, pathname + search), {
        ...options.stream,
        onError: options.onError ?? ((error) => console.error(error)),
      });
    }, options),
};

export const coreTargets: Target[] = [nodeBridge, fetchEntryPoint];
