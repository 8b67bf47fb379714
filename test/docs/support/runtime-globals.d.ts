/**
 * The slice of Bun's and Deno's globals the README's `Bun.serve` and `Deno.serve` recipes use,
 * so that the snippets compile here without either runtime's type package (`@types/bun`,
 * `deno types`), which a user of that runtime has already. The recipes themselves run on the
 * real runtimes in test/reliability/wiring.test.ts.
 */
declare namespace Bun {
  function serve(options: {
    port?: number;
    hostname?: string;
    fetch(request: Request): Response | Promise<Response>;
  }): { readonly port: number };
}

declare namespace Deno {
  function serve(
    options: {
      port?: number;
      hostname?: string;
      onListen?: (address: { hostname: string; port: number }) => void;
    },
    handler: (request: Request) => Response | Promise<Response>,
  ): { finished: Promise<void> };
  const env: { get(key: string): string | undefined };
}
