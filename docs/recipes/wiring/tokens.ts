import { createSseResponse } from '@ssekit/core';

// Stands in for your model's client: any async iterable of text works.
async function* generate(prompt: string) {
  for (const word of prompt.split(' ')) yield `${word} `;
}

export const GET = (request: Request) =>
  createSseResponse(request, async (stream) => {
    const prompt = new URL(request.url).searchParams.get('q') ?? 'hello';
    // Waits for a slow reader, and stops the model (return()) when the client leaves.
    await stream.pipe(generate(prompt), (token) => ({ event: 'token', data: token }));
    stream.send({ event: 'done', data: '' });
    stream.close();
  });
