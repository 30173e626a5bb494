/**
 * The API-key routes (`/v1/apikeys`, for `audiod apikey create|list|revoke`): a signed-in user makes, lists and
 * revokes the keys OpenSubsonic clients sign in with. A key is 256 random bits shown once; the store keeps its
 * SHA-256. Revoking one pushes its grant to every file instance (as a session's revocation), which refuse its
 * accesses and cut its streams at once.
 *
 * @module
 */

import { readJson } from "../../../daemon/http/body.ts";
import { HttpError } from "../../../daemon/http/http_error.ts";
import type { Router } from "../../../daemon/http/router.ts";
import { randomToken } from "../../../daemon/cluster/join_secret.ts";
import { type ApiKeyList, apiKeyRequest, type NewApiKey } from "../../../protocol/api_keys.ts";
import type { BootstrapDeps } from "../handler.ts";
import { signedIn } from "../_access.ts";
import type { SessionInfo } from "../store/mod.ts";
import { apiKeyGrant, apiKeyHash } from "./auth.ts";
import type { UserDataStore } from "./user_data.ts";

/** API keys one user may hold. */
export const MAX_KEYS = 100;

/** Adds `/v1/apikeys` to `router`. */
export function apiKeyRoutes(router: Router, deps: BootstrapDeps, data: UserDataStore): void {
  const session = (req: Request): Promise<SessionInfo> => signedIn(req, deps.users);
  router
    .get("/v1/apikeys", async (req) => {
      const { userId } = await session(req);
      const keys = await data.apiKeys(userId);
      return Response.json({ keys } satisfies ApiKeyList);
    })
    .post("/v1/apikeys", async (req) => {
      const { userId, user } = await session(req);
      const body = await readJson(req, apiKeyRequest);
      if ((await data.apiKeys(userId)).length >= MAX_KEYS) {
        throw new HttpError(
          409,
          "too_many_keys",
          `Cannot create an API key: you hold ${MAX_KEYS}, revoke some first`,
        );
      }
      const key = randomToken();
      const info = await data.createApiKey(userId, body.name ?? "", apiKeyHash(key), Date.now());
      deps.logger.info("apikey.created", { user, id: info.id });
      return Response.json({ ...info, key } satisfies NewApiKey, { status: 201 });
    })
    .delete("/v1/apikeys/:id", async (req, { params }) => {
      const { userId, user } = await session(req);
      const id = params.id!;
      if (id.length > 64 || !await data.revokeApiKey(userId, id)) {
        throw new HttpError(
          404,
          "unknown_key",
          `Cannot revoke API key ${id.slice(0, 64)}: you hold no such key`,
        );
      }
      deps.logger.info("apikey.revoked", { user, id });
      // Answered once every file instance was told: the key opens nothing from then on.
      await deps.onRevoked?.([apiKeyGrant(id)], { user });
      return Response.json({ id, revoked: true });
    });
}
