const ANSWER =
  'Server-Sent Events stream text from the server to the browser over one plain HTTP response. ' +
  'The browser parses each event as it arrives, so the answer appears word by word, ' +
  'long before the model has finished thinking. ' +
  'When the answer is complete, the server sends a final done event and the page closes the connection.';

/**
 * A stand-in for a language model: yields the answer to `prompt` one token at a time, with the
 * uneven pauses of a real model. Stops early, without leaving a timer behind, when `signal` aborts.
 */
export async function* fakeModel(prompt, { signal, tokenDelayMs = 60 }) {
  const tokens = `You asked: “${prompt}”. ${ANSWER}`.match(/\S+\s*/g) ?? [];
  for (const token of tokens) {
    await pause(tokenDelayMs * (0.5 + Math.random()), signal);
    if (signal.aborted) return;
    yield token;
  }
}

function pause(ms, signal) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve(undefined);
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
