import assert from "node:assert/strict";
import { type RunningServer, startServer, type StartServerOptions } from "./server.ts";
import { Router } from "./router.ts";
import { Metrics } from "./metrics.ts";
import { LoadMeter } from "../cluster/load_meter.ts";
import { createLogger, type Logger } from "../runtime/log.ts";
import { CommandError } from "../../cli/usage_error.ts";
import { parseExposition, sampleOf } from "../../tests/_exposition.ts";

/** Both servers startServer can run: `Deno.serve`, and audiod's own HTTP/1.1 server. */
const KINDS = [{ name: "Deno.serve", http1: false }, { name: "http1", http1: true }] as const;

/** A logger whose lines are kept. */
function keptLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    logger: createLogger({ role: "test", format: "json", level: "debug", write: (l) => lines.push(l) }),
    lines,
  };
}

/** Starts a quiet server on 127.0.0.1:0 that is shut down on dispose. */
function serve(options: Omit<StartServerOptions, "role" | "listen">): RunningServer & AsyncDisposable {
  const server = startServer({
    role: "test",
    listen: { hostname: "127.0.0.1", port: 0 },
    announce: false,
    ...options,
  });
  return { ...server, [Symbol.asyncDispose]: () => server.shutdown() };
}

Deno.test("startServer() prints 'audiod <role> listening on http://HOST:PORT' with the real port for port 0", async (t) => {
  for (const kind of KINDS) {
    await t.step(kind.name, async () => {
      const code = `
        import { startServer } from ${JSON.stringify(new URL("./server.ts", import.meta.url).href)};
        import { createLogger } from ${JSON.stringify(new URL("../runtime/log.ts", import.meta.url).href)};
        const server = startServer({
          role: "tester",
          listen: { hostname: "127.0.0.1", port: 0 },
          handler: async () => new Response("served here"),
          logger: createLogger({ role: "tester", write: () => {} }),
          http1: ${kind.http1},
        });
        Deno.addSignalListener("SIGTERM", () => server.shutdown());
        await server.finished;
      `;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["eval", code],
        stdin: "null",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      try {
        const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        while (!text.includes("\n")) {
          const { done, value } = await lines.read();
          if (done) break;
          text += value;
        }
        lines.releaseLock();
        const line = text.split("\n")[0]!;
        const m = /^audiod tester listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
        assert.ok(m, `unexpected first line: ${JSON.stringify(line)}`);
        assert.notEqual(Number(m[2]), 0);
        const res = await fetch(m[1]!);
        assert.equal(await res.text(), "served here");
      } finally {
        child.kill("SIGTERM");
        await child.stdout.cancel().catch(() => {});
        await child.status;
      }
    });
  }
});

Deno.test("a handler that throws gets a 500 JSON envelope without the stack, and the error is logged", async (t) => {
  for (const kind of KINDS) {
    await t.step(kind.name, async () => {
      const { logger, lines } = keptLogger();
      const handler = () => Promise.reject(new TypeError("the secret detail at /srv/audiod/roles/x.ts:12"));
      await using server = serve({ handler, logger, http1: kind.http1 });
      const res = await fetch(`${server.url}/v1/anything`);
      assert.equal(res.status, 500);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      const text = await res.text();
      assert.deepEqual(JSON.parse(text), {
        error: { code: "internal", message: "Internal error: the server logged the details" },
      });
      assert.doesNotMatch(text, /secret|srv|TypeError|\bat\b/);
      const logged = lines.map((l) => JSON.parse(l) as { event: string; error?: string });
      const failed = logged.find((l) => l.event === "request.failed");
      assert.ok(failed, `no request.failed line in ${JSON.stringify(lines)}`);
      assert.match(failed.error ?? "", /the secret detail/);
    });
  }
});

Deno.test("startServer() counts requests by the route pattern the router matched, through wrappers", async (t) => {
  for (const kind of KINDS) {
    await t.step(kind.name, async () => {
      const { logger } = keptLogger();
      const router = new Router(() => {});
      router.get("/v1/tracks/:id", () => new Response("track"));
      const metrics = new Metrics();
      const meter = new LoadMeter();
      await using server = serve({ handler: meter.wrap(router.handle), logger, metrics, http1: kind.http1 });
      for (const path of ["/v1/tracks/a", "/v1/tracks/b", "/v1/nothing"]) {
        await (await fetch(server.url + path)).body?.cancel();
      }
      await (await fetch(server.url + "/v1/tracks/a", { method: "DELETE" })).body?.cancel();
      const families = parseExposition(await (await fetch(`${server.url}/metrics`)).text());
      const count = (labels: Record<string, string>) =>
        sampleOf(families, "audiod_http_requests_total", labels);
      assert.equal(count({ method: "GET", route: "/v1/tracks/:id", status: "200" }), 2);
      assert.equal(count({ method: "DELETE", route: "/v1/tracks/:id", status: "405" }), 1);
      assert.equal(count({ method: "GET", route: "unmatched", status: "404" }), 1);
    });
  }
});

Deno.test("startServer() on a port that is taken throws a CommandError that says so", async (t) => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    for (const kind of KINDS) {
      await t.step(kind.name, () => {
        const { logger } = keptLogger();
        assert.throws(
          () =>
            startServer({
              role: "test",
              listen: { hostname: "127.0.0.1", port },
              handler: () => Promise.resolve(new Response("no")),
              logger,
              announce: false,
              http1: kind.http1,
            }),
          (error: unknown) => {
            assert.ok(error instanceof CommandError);
            assert.equal(
              error.message,
              `Cannot listen on 127.0.0.1:${port}: the address is in use (is another audiod running? ` +
                `pick another port with --listen)`,
            );
            return true;
          },
        );
      });
    }
  } finally {
    taken.close();
  }
});
