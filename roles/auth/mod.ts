/**
 * `audiod auth`: registers users and signs them in. Accounts live in the bootstrap's shared store; this
 * instance does the expensive part, the memory-hard password hash.
 *
 * Permissions: net (listen, call the bootstrap), env.
 *
 * @module
 */

import { callJson, UnreachableError } from "../../daemon/bootstrap_client.ts";
import { bearer } from "../../daemon/bearer.ts";
import { HttpError } from "../../daemon/http_error.ts";
import { LoadMeter } from "../../daemon/load_meter.ts";
import { createLogger, type LogFormat, type Logger } from "../../daemon/log.ts";
import { type Handler, Router } from "../../daemon/router.ts";
import { obj, readJson, str } from "../../daemon/schema.ts";
import { type InstancePlacement, runInstance } from "../_instance.ts";
import { burnVerify, hashPassword, needsRehash, verifyPassword } from "./password.ts";

/** Usernames: letters, digits, `.`, `_`, `-`; 1 to 64 characters, starting with a letter or digit. */
export const USERNAME = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$/u;

const credentials = obj({
  user: str({ max: 64, pattern: USERNAME, hint: "use 1-64 letters, digits, '.', '_' or '-'" }),
  password: str({ min: 1, max: 1024 }),
});

const WRONG = "Cannot sign in: wrong user name or password";

/** What the auth handler needs. */
export interface AuthDeps {
  bootstrap: string;
  logger: Logger;
}

interface SessionAnswer {
  user: string;
  token: string;
  expiresAt: number;
}

/** Builds the auth instance's request handler. */
export function createHandler(deps: AuthDeps): Handler {
  const { bootstrap, logger } = deps;
  const router = new Router((error, req) => logger.error("request.failed", { method: req.method, error }));
  const store = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    try {
      return await callJson<T>(bootstrap, method, path, body === undefined ? {} : { body });
    } catch (error) {
      if (error instanceof UnreachableError) {
        throw new HttpError(503, "store_unavailable", "Cannot reach the account store: try again shortly", {
          "retry-after": "2",
        });
      }
      throw error;
    }
  };

  router
    .get("/v1/health", () => Response.json({ ok: true, role: "auth" }))
    .post("/v1/register", async (req) => {
      const { user, password } = await readJson(req, credentials);
      checkPassword(password);
      const hash = await hashPassword(password);
      const created = await store<{ user: string }>("POST", "/v1/internal/users", { user, hash });
      const session = await store<SessionAnswer>("POST", "/v1/internal/sessions", { user: created.user });
      logger.info("register.ok", { user: created.user });
      return Response.json(session, { status: 201 });
    })
    .post("/v1/login", async (req) => {
      const { user, password } = await readJson(req, credentials);
      let record: { user: string; hash: string } | null = null;
      try {
        record = await store<{ user: string; hash: string }>(
          "GET",
          `/v1/internal/users/${encodeURIComponent(user)}`,
        );
      } catch (error) {
        if (!(error instanceof HttpError && error.status === 404)) throw error;
      }
      const ok = record ? await verifyPassword(password, record.hash) : await burnVerify(password);
      if (!record || !ok) {
        logger.info("login.failed", { reason: "wrong user or password" });
        throw new HttpError(401, "bad_credentials", WRONG);
      }
      if (needsRehash(record.hash)) {
        const hash = await hashPassword(password);
        await store("POST", `/v1/internal/users/${encodeURIComponent(record.user)}/hash`, { hash });
        logger.info("password.rehashed", { user: record.user });
      }
      const session = await store<SessionAnswer>("POST", "/v1/internal/sessions", { user: record.user });
      logger.info("login.ok", { user: record.user });
      return Response.json(session);
    })
    .post("/v1/logout", async (req) => {
      const token = bearer(req);
      await store("POST", "/v1/internal/sessions/revoke", { token });
      return new Response(null, { status: 204 });
    });
  return router.handle;
}

function checkPassword(password: string): void {
  const bytes = new TextEncoder().encode(password).length;
  if (bytes < 8) {
    throw new HttpError(400, "weak_password", "Cannot accept the password: use at least 8 characters");
  }
  if (bytes > 1024) {
    throw new HttpError(400, "invalid_request", "Cannot accept the password: at most 1024 bytes");
  }
}

/** Options of `audiod auth`. */
export interface AuthOptions extends InstancePlacement {
  logFormat: LogFormat;
}

/** Runs an auth instance until `signal` aborts. */
export async function run(options: AuthOptions, signal: AbortSignal): Promise<void> {
  const logger = createLogger({ role: "auth", format: options.logFormat });
  const meter = new LoadMeter();
  const handler = createHandler({ bootstrap: options.bootstrap, logger });
  await runInstance({ ...options, role: "auth", handler, meter, logger }, signal);
}
