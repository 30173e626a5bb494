/**
 * Writes media/md5_wasm.ts: the MD5 compression function as WebAssembly, one stream at a time (`x1`) and four
 * streams at once in SIMD lanes (`x4`), with the chaining state in and out so that a hash can start from any
 * 64-byte boundary. A development tool: `deno run -A tools/gen_md5_wasm.ts` after changing it (needs npm:wabt).
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

/** The 64 steps over registers a, b, c, d, written with `ops` (scalar i32 or SIMD i32x4). */
function steps(ops: {
  and: string;
  or: string;
  xor: string;
  not: (x: string) => string;
  add: string;
  k: (k: number) => string;
  m: (g: number) => string;
  rotl: (x: string, s: number) => string;
}): string {
  let [a, b, c, d] = ["$a", "$b", "$c", "$d"];
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
  return out.join("\n");
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
  })
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

const mLocals = Array.from({ length: 16 }, (_, g) => `(local $m${g} v128)`).join(" ");
const loadWords = Array.from(
  { length: 16 },
  (_, g) =>
    `(local.set $m${g} (v128.load32_lane offset=${4 * g} 3 (local.get $p3)
    (v128.load32_lane offset=${4 * g} 2 (local.get $p2)
      (v128.load32_lane offset=${4 * g} 1 (local.get $p1)
        (v128.load32_zero offset=${4 * g} (local.get $p0))))))`,
).join("\n");

const x4 = `
(func (export "x4") (param $st i32) (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32)
    (param $n i32)
  (local $a v128) (local $b v128) (local $c v128) (local $d v128)
  (local $aa v128) (local $bb v128) (local $cc v128) (local $dd v128) ${mLocals}
  (local.set $a (v128.load offset=0 (local.get $st)))
  (local.set $b (v128.load offset=16 (local.get $st)))
  (local.set $c (v128.load offset=32 (local.get $st)))
  (local.set $d (v128.load offset=48 (local.get $st)))
  (block $done (loop $next
    (br_if $done (i32.eqz (local.get $n)))
    ${loadWords}
    (local.set $aa (local.get $a)) (local.set $bb (local.get $b))
    (local.set $cc (local.get $c)) (local.set $dd (local.get $d))
    ${
  steps({
    and: "v128.and",
    or: "v128.or",
    xor: "v128.xor",
    not: (x) => `(v128.not ${x})`,
    add: "i32x4.add",
    k: (k) => `(v128.const i32x4 ${k} ${k} ${k} ${k})`,
    m: (g) => `(local.get $m${g})`,
    rotl: (x, s) => `(v128.or (i32x4.shl ${x} (i32.const ${s})) (i32x4.shr_u ${x} (i32.const ${32 - s})))`,
  })
}
    (local.set $a (i32x4.add (local.get $a) (local.get $aa)))
    (local.set $b (i32x4.add (local.get $b) (local.get $bb)))
    (local.set $c (i32x4.add (local.get $c) (local.get $cc)))
    (local.set $d (i32x4.add (local.get $d) (local.get $dd)))
    (local.set $p0 (i32.add (local.get $p0) (i32.const 64)))
    (local.set $p1 (i32.add (local.get $p1) (i32.const 64)))
    (local.set $p2 (i32.add (local.get $p2) (i32.const 64)))
    (local.set $p3 (i32.add (local.get $p3) (i32.const 64)))
    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
    (br $next)))
  (v128.store offset=0 (local.get $st) (local.get $a))
  (v128.store offset=16 (local.get $st) (local.get $b))
  (v128.store offset=32 (local.get $st) (local.get $c))
  (v128.store offset=48 (local.get $st) (local.get $d)))`;

const wat = `(module (memory (export "memory") 1) ${x1} ${x4})`;
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
  `// Generated by tools/gen_md5_wasm.ts: the MD5 compression function, one stream (x1) and four in SIMD lanes (x4).
// deno-fmt-ignore-file
export const MD5_WASM_BASE64 = [
${lines},
].join("");
`,
);
printOut(`wrote ${out.pathname}: ${buffer.length} bytes of WebAssembly`);
