/**
 * The terminal's size, updated when it is resized.
 *
 * @module
 */

import { useStdout } from "ink";
import { useEffect, useState } from "react";

/** Used when the output is not a terminal (tests, pipes). */
export const FALLBACK_SIZE = { columns: 100, rows: 24 } as const;

/** Columns and rows of the terminal ink draws on. */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({
    columns: stdout.columns > 0 ? stdout.columns : FALLBACK_SIZE.columns,
    rows: stdout.rows > 0 ? stdout.rows : FALLBACK_SIZE.rows,
  });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout]);
  return size;
}
