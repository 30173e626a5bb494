import assert from "node:assert/strict";
import {
  type ConnectAction,
  connectReducer,
  type ConnectState,
  INITIAL_CONNECT,
  INITIAL_SIGN_IN,
  rememberServer,
  type SignInAction,
  signInFields,
  signInProblem,
  signInReducer,
  type SignInState,
} from "./forms.ts";

const connect = (state: ConnectState, ...actions: ConnectAction[]) => actions.reduce(connectReducer, state);
const signIn = (state: SignInState, ...actions: SignInAction[]) => actions.reduce(signInReducer, state);

Deno.test("the address field takes typing and erasing", () => {
  const state = connect(INITIAL_CONNECT, { type: "connect/type", text: "10.0.0.1" }, {
    type: "connect/erase",
  });
  assert.equal(state.address, "10.0.0.");
});

Deno.test("↑/↓ on the connect screen cycle through the recent servers into the field", () => {
  const base = { ...INITIAL_CONNECT, recent: ["http://a:7700", "http://b:7700"] };
  assert.equal(connect(base, { type: "connect/recent", by: 1 }).address, "http://a:7700");
  assert.equal(
    connect(base, { type: "connect/recent", by: 1 }, { type: "connect/recent", by: 1 }).address,
    "http://b:7700",
  );
  assert.equal(connect(base, { type: "connect/recent", by: -1 }).address, "http://b:7700");
  assert.equal(connect(INITIAL_CONNECT, { type: "connect/recent", by: 1 }), INITIAL_CONNECT);
});

Deno.test("a failed connection shows its message and lets the user edit again", () => {
  const state = connect(INITIAL_CONNECT, { type: "connect/started", address: "x" }, {
    type: "connect/failed",
    message: "Cannot reach x",
  });
  assert.equal(state.busy, false);
  assert.equal(state.error, "Cannot reach x");
  assert.equal(connect(state, { type: "connect/type", text: "y" }).address, "xy");
});

Deno.test("rememberServer() moves the server to the front, without duplicates, at most eight", () => {
  assert.deepEqual(rememberServer(["a", "b", "c"], "b"), ["b", "a", "c"]);
  assert.equal(rememberServer(Array.from({ length: 8 }, (_, i) => `s${i}`), "new").length, 8);
});

Deno.test("the sign-in form types into the focused field and moves between fields", () => {
  let state = signIn(
    INITIAL_SIGN_IN,
    { type: "signIn/type", text: "alice" },
    { type: "signIn/field", by: 1 },
    {
      type: "signIn/type",
      text: "pw",
    },
  );
  assert.equal(state.user, "alice");
  assert.equal(state.password, "pw");
  assert.equal(
    signIn(state, { type: "signIn/field", by: 1 }).field,
    "password",
    "no third field when logging in",
  );
  state = signIn(state, { type: "signIn/toggleMode" }, { type: "signIn/field", by: 1 });
  assert.equal(state.mode, "register");
  assert.equal(state.field, "confirm");
});

Deno.test("signInProblem() asks for a user, a password, and the same password twice to register", () => {
  assert.match(signInProblem(INITIAL_SIGN_IN) ?? "", /user name/);
  assert.match(signInProblem({ ...INITIAL_SIGN_IN, user: "a" }) ?? "", /password/);
  assert.equal(signInProblem({ ...INITIAL_SIGN_IN, user: "a", password: "p" }), null);
  const register = { ...INITIAL_SIGN_IN, mode: "register" as const, user: "a", password: "p", confirm: "q" };
  assert.match(signInProblem(register) ?? "", /differ/);
  assert.equal(signInProblem({ ...register, confirm: "p" }), null);
});

Deno.test("a failed sign-in keeps what was typed and shows the server's message", () => {
  const state = signIn(
    { ...INITIAL_SIGN_IN, user: "alice", password: "nope" },
    { type: "signIn/started" },
    { type: "signIn/failed", message: "Too many attempts: try again in 30 s" },
  );
  assert.equal(state.busy, false);
  assert.equal(state.error, "Too many attempts: try again in 30 s");
  assert.equal(state.password, "nope");
});

Deno.test("the register form ends with an optional invite field, shown as typed, not needed to send", () => {
  assert.deepEqual(signInFields("register"), ["user", "password", "confirm", "invite"]);
  assert.deepEqual(signInFields("login"), ["user", "password"]);
  let state: SignInState = { ...INITIAL_SIGN_IN, mode: "register", field: "confirm" };
  state = signIn(state, { type: "signIn/field", by: 1 }, { type: "signIn/type", text: "code-123" });
  assert.deepEqual([state.field, state.invite, state.confirm], ["invite", "code-123", ""]);
  assert.equal(signInProblem({ ...state, user: "a", password: "p", confirm: "p", invite: "" }), null);
});
