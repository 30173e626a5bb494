/**
 * Writes media/md5_wasm.ts: the MD5 compression function as WebAssembly, one stream at a time (`x1`) and 4,
 * 8 or 12 streams at once in SIMD lanes (`x4`, `x8`, `x12`), with the chaining state in and out so that a hash
 * can start from any 64-byte boundary. A development tool: `deno run -A tools/gen_md5_wasm.ts` after changing it (needs npm:wabt).
 *
 * @module
 */
import wabtInit from "wabt";
import { printOut } from "../daemon/runtime/log.ts";

const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
const S = [
  ...[7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22],
  ...[5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20],
  ...[4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23],
  ...[6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21],
];
/** Which message word step i reads. */
const word = (i: number) => i < 16 ? i : i < 32 ? (5 * i + 1) % 16 : i < 48 ? (3 * i + 5) % 16 : (7 * i) % 16;

/** The 64 steps over registers a, b, c, d (named with `suffix`), written with `ops` (scalar i32 or SIMD i32x4). */
function steps(ops: {
  and: string;
  or: string;
  xor: string;
  not: (x: string) => string;
  add: string;
  k: (k: number) => string;
  m: (g: number) => string;
  rotl: (x: string, s: number) => string;
}, suffix = ""): string[] {
  let [a, b, c, d] = ["$a", "$b", "$c", "$d"].map((r) => r + suffix) as [string, string, string, string];
  const g = (r: string) => `(local.get ${r})`;
  const bin = (op: string, x: string, y: string) => `(${op} ${x} ${y})`;
  const out: string[] = [];
  for (let i = 0; i < 64; i++) {
    const f = i < 16
      ? bin(ops.xor, g(d), bin(ops.and, g(b), bin(ops.xor, g(c), g(d))))
      : i < 32
      ? bin(ops.xor, g(c), bin(ops.and, g(d), bin(ops.xor, g(b), g(c))))
      : i < 48
      ? bin(ops.xor, bin(ops.xor, g(b), g(c)), g(d))
      : bin(ops.xor, g(c), bin(ops.or, g(b), ops.not(g(d))));
    const sum = bin(ops.add, bin(ops.add, g(a), f), bin(ops.add, ops.m(word(i)), ops.k(K[i]!)));
    out.push(`(local.set ${a} ${bin(ops.add, g(b), ops.rotl(sum, S[i]!))})`);
    [a, b, c, d] = [d, a, b, c];
  }
  return out;
}

const x1 = `
(func (export "x1") (param $st i32) (param $p i32) (param $n i32)
  (local $a i32) (local $b i32) (local $c i32) (local $d i32)
  (local $aa i32) (local $bb i32) (local $cc i32) (local $dd i32)
  (local.set $a (i32.load offset=0 (local.get $st)))
  (local.set $b (i32.load offset=4 (local.get $st)))
  (local.set $c (i32.load offset=8 (local.get $st)))
  (local.set $d (i32.load offset=12 (local.get $st)))
  (block $done (loop $next
    (br_if $done (i32.eqz (local.get $n)))
    (local.set $aa (local.get $a)) (local.set $bb (local.get $b))
    (local.set $cc (local.get $c)) (local.set $dd (local.get $d))
    ${
  steps({
    and: "i32.and",
    or: "i32.or",
    xor: "i32.xor",
    not: (x) => `(i32.xor ${x} (i32.const -1))`,
    add: "i32.add",
    k: (k) => `(i32.const ${k})`,
    m: (g) => `(i32.load offset=${4 * g} (local.get $p))`,
    rotl: (x, s) => `(i32.rotl ${x} (i32.const ${s}))`,
  }).join("\n")
}
    (local.set $a (i32.add (local.get $a) (local.get $aa)))
    (local.set $b (i32.add (local.get $b) (local.get $bb)))
    (local.set $c (i32.add (local.get $c) (local.get $cc)))
    (local.set $d (i32.add (local.get $d) (local.get $dd)))
    (local.set $p (i32.add (local.get $p) (i32.const 64)))
    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
    (br $next)))
  (i32.store offset=0 (local.get $st) (local.get $a))
  (i32.store offset=4 (local.get $st) (local.get $b))
  (i32.store offset=8 (local.get $st) (local.get $c))
  (i32.store offset=12 (local.get $st) (local.get $d)))`;

/**
 * `x${4 * groups}`: MD5 over `4 * groups` streams at once, in `groups` sets of four SIMD lanes whose steps are
 * interleaved. One set alone waits on each step's result (MD5 is a chain); two or three keep the core busy in the
 * meantime, about 1.9 and 2.5 times one set's speed here.
 */
function lanes(groups: number): string {
  const count = 4 * groups;
  const params = Array.from({ length: count }, (_, j) => `(param $p${j} i32)`).join(" ");
  const locals: string[] = [];
  const init: string[] = [];
  const save: string[] = [];
  const loads: string[] = [];
  const addBack: string[] = [];
  const store: string[] = [];
  for (let q = 0; q < groups; q++) {
    for (const r of ["a", "b", "c", "d", "aa", "bb", "cc", "dd", "t"]) locals.push(`(local $${r}${q} v128)`);
    for (let w = 0; w < 16; w++) locals.push(`(local $m${q}_${w} v128)`);
    ["a", "b", "c", "d"].forEach((r, w) => {
      // Lane-major states: word w of lane 4q + j at [q * 16 + w * 4 + j].
      init.push(`(local.set $${r}${q} (v128.load offset=${q * 64 + w * 16} (local.get $st)))`);
      save.push(`(local.set $${r}${r}${q} (local.get $${r}${q}))`);
      addBack.push(`(local.set $${r}${q} (i32x4.add (local.get $${r}${q}) (local.get $${r}${r}${q})))`);
      store.push(`(v128.store offset=${q * 64 + w * 16} (local.get $st) (local.get $${r}${q}))`);
    });
    for (let w = 0; w < 16; w++) {
      const p = (j: number) => `(local.get $p${4 * q + j})`;
      loads.push(`(local.set $m${q}_${w} (v128.load32_lane offset=${4 * w} 3 ${p(3)}
    (v128.load32_lane offset=${4 * w} 2 ${p(2)}
      (v128.load32_lane offset=${4 * w} 1 ${p(1)}
        (v128.load32_zero offset=${4 * w} ${p(0)})))))`);
    }
  }
  const advance = Array.from(
    { length: count },
    (_, j) => `(local.set $p${j} (i32.add (local.get $p${j}) (i32.const 64)))`,
  );
  const sets = Array.from({ length: groups }, (_, q) =>
    steps({
      and: "v128.and",
      or: "v128.or",
      xor: "v128.xor",
      not: (x) => `(v128.not ${x})`,
      add: "i32x4.add",
      k: (k) => `(v128.const i32x4 ${k} ${k} ${k} ${k})`,
      m: (g) => `(local.get $m${q}_${g})`,
      // The sum goes to a local first: a rotation by shifts reads it twice.
      rotl: (x, s) =>
        `(v128.or (i32x4.shl (local.tee $t${q} ${x}) (i32.const ${s})) ` +
        `(i32x4.shr_u (local.get $t${q}) (i32.const ${32 - s})))`,
    }, `${q}`));
  // Step i of every set, then step i + 1 of every set.
  const interleaved = sets[0]!.map((_, i) => sets.map((set) => set[i]!).join("\n")).join("\n");
  return `
(func (export "x${count}") (param $st i32) ${params} (param $n i32) ${locals.join(" ")}
  ${init.join("\n")}
  (block $done (loop $next
    (br_if $done (i32.eqz (local.get $n)))
    ${loads.join("\n")}
    ${save.join("\n")}
    ${interleaved}
    ${addBack.join("\n")}
    ${advance.join("\n")}
    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
    (br $next)))
  ${store.join("\n")})`;
}

const wat = `(module (memory (export "memory") 1) ${x1} ${lanes(1)} ${lanes(2)} ${lanes(3)})`;
const wabt = await wabtInit();
const module = wabt.parseWat("md5.wat", wat, { simd: true });
const { buffer } = module.toBinary({});
let binary = "";
for (const byte of buffer) binary += String.fromCharCode(byte);
const base64 = btoa(binary);
const lines = base64.match(/.{1,100}/g)!.map((l) => `  "${l}"`).join(",\n");
const out = new URL("../media/md5_wasm.ts", import.meta.url);
await Deno.writeTextFile(
  out,
  `// Generated by tools/gen_md5_wasm.ts: the MD5 compression function, one stream (x1), and 4, 8 or 12 in SIMD lanes.
// deno-fmt-ignore-file
export const MD5_WASM_BASE64 = [
${lines},
].join("");
`,
);
printOut(`wrote ${out.pathname}: ${buffer.length} bytes of WebAssembly`);
