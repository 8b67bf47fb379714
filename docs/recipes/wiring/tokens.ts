import { createSseResponse } from '@ssekit/core';

// Stands in for your model's client: any async iterable of text works.
async function* generate(prompt: string) {
  for (const word of prompt.split(' ')) yield `${word} `;
}

export const GET = (request: Request) =>
  createSseResponse(request, async (stream) => {
    const prompt = new URL(request.url).searchParams.get('q') ?? 'hello';
    for await (const token of generate(prompt)) {
      if (!stream.send({ event: 'token', data: token })) await stream.ready(); // backpressure
    }
    stream.send({ event: 'done', data: '' });
    stream.close();
  });
