/**
 * Keeps glibc from holding on to freed Argon2id buffers. Each password hash takes a 19 MiB buffer; with glibc's
 * default (dynamic) mmap threshold, freed buffers of that size are kept in the heap arenas, and an auth instance's
 * RSS grew by about one buffer per sign-in, past 4 GB after a few hundred (measured by the bench). A fixed 1 MiB
 * threshold makes such buffers mmap'd and returned to the system when freed: RSS stays near 50 MB.
 *
 * @module
 */

/** glibc's mallopt() parameter for the mmap threshold. */
const M_MMAP_THRESHOLD = -3;

/** Sets a fixed 1 MiB mmap threshold on Linux with glibc; does nothing (and never fails) elsewhere. */
export function tuneMalloc(): void {
  if (Deno.build.os !== "linux") return;
  try {
    const libc = Deno.dlopen("libc.so.6", { mallopt: { parameters: ["i32", "i32"], result: "i32" } });
    try {
      libc.symbols.mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    } finally {
      libc.close();
    }
  } catch {
    // Not glibc (musl, macOS), or no FFI permission: the default allocator behaviour stays.
  }
}
