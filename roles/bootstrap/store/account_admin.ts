/**
 * The store's account-administration facet ({@linkcode AccountAdminStore}, schema version 5): registration under
 * a policy (open, invite, closed; the first account is the cluster's admin), invites (only their SHA-256 is
 * kept, with the uses left and an expiry), the admin and disabled flags, and the last sign-in. A registration
 * checks the policy and consumes its invite in one transaction with the insert, so two registrations racing
 * for a one-use code cannot both win, and two first accounts cannot both become admin.
 *
 * @module
 */

import { HttpError } from "../../../daemon/http/http_error.ts";
import type { UserRecord } from "./mod.ts";

/** Who may create an account: anyone, the holders of an invite code, or an admin only. */
export type Policy = "open" | "invite" | "closed";

/** How an account comes to be: under the policy with an optional invite, or added by an admin. */
export interface RegistrationRule {
  policy: Policy;
  /** The SHA-256 (hex) of the invite code given, if any. */
  inviteHash?: string;
  /** An admin adds the account: the policy does not apply. */
  byAdmin?: boolean;
}

/** A registration that went through. */
export interface Registered extends UserRecord {
  /** The first account of a cluster is its admin. */
  admin: boolean;
  /** How it was allowed. */
  via: "first" | "open" | "invite" | "admin";
}

/** One account as an admin sees it. */
export interface AccountRow {
  id: number;
  name: string;
  admin: boolean;
  disabled: boolean;
  createdAt: number;
  lastSignIn: number | null;
  /** Sessions valid now. */
  sessions: number;
}

/** An invite to store: the code's SHA-256, never the code. */
export interface NewInvite {
  codeHash: string;
  uses: number;
  expiresAt: number;
  /** The admin who made it. */
  createdBy: string;
}

/** Registration under a policy, invites, and the accounts' flags. */
export interface AccountAdminStore {
  /**
   * Creates an account if `rule` allows it, atomically with the check and the invite's use: the first account
   * of a cluster is allowed under any policy and is its admin. Refusals are HttpErrors: 403
   * `registration_closed`, `invite_required`, `bad_invite` (unknown, used up or expired); 409 `user_exists`.
   */
  register(name: string, hash: string, rule: RegistrationRule): Promise<Registered>;
  /** One account by name (case-insensitively), with its flags. */
  account(name: string): Promise<AccountRow | undefined>;
  /** Every account, by name. */
  list(): Promise<AccountRow[]>;
  /** Makes an account an admin or not; demoting the last enabled admin is refused (409 `last_admin`). */
  setAdmin(userId: number, admin: boolean): Promise<void>;
  /**
   * Disables an account (its sessions end: their hashes are returned) or enables it again (nothing ends).
   * Disabling the last enabled admin is refused (409 `last_admin`).
   */
  setDisabled(userId: number, disabled: boolean): Promise<string[]>;
  /** Ends every session of an account; returns their hashes. */
  endSessions(userId: number): Promise<string[]>;
  /** Notes a successful sign-in now. */
  recordSignIn(userId: number): Promise<void>;
  /** Keeps an invite. */
  createInvite(invite: NewInvite): Promise<void>;
}

/** Refusals every backend gives alike. */
export const REFUSALS = {
  closed: () =>
    new HttpError(
      403,
      "registration_closed",
      "Cannot register: this cluster is closed to sign-ups (an admin adds accounts with audiod users add)",
    ),
  inviteRequired: () =>
    new HttpError(
      403,
      "invite_required",
      "Cannot register: this cluster needs an invite code (ask an admin for one: audiod invite)",
    ),
  badInvite: () =>
    new HttpError(403, "bad_invite", "Cannot register: the invite code is unknown, used up or expired"),
  lastAdmin: (what: string) =>
    new HttpError(409, "last_admin", `Cannot ${what}: it is the last admin (promote another account first)`),
};

/**
 * Whether `rule` lets an account be made when `existing` accounts exist: "invite" means an invite must be
 * consumed; a refusal is thrown.
 */
export function admission(rule: RegistrationRule, existing: number): Registered["via"] {
  if (existing === 0) return "first";
  if (rule.byAdmin) return "admin";
  if (rule.policy === "closed") throw REFUSALS.closed();
  if (rule.inviteHash !== undefined) return "invite";
  if (rule.policy === "invite") throw REFUSALS.inviteRequired();
  return "open";
}
