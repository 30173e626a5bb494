/** The version of audiod, shown by `--version` and in every daemon's `audiod_info` metric. */
export const VERSION = "0.1.0";
