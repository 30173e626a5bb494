/**
 * Cursor and scroll arithmetic shared by the scrollable lists.
 *
 * @module
 */

/** A cursor over `length` rows of which `height` are shown from `scroll` on. */
export interface ListView {
  cursor: number;
  scroll: number;
  height: number;
}

/** How a list action moves the cursor. */
export type ListMove =
  | { type: "by"; rows: number }
  | { type: "top" }
  | { type: "bottom" }
  | { type: "page"; pages: number }
  | { type: "to"; row: number };

/** Keeps the cursor inside the list and the scroll so that the cursor is visible and no row is wasted. */
export function clampView<T extends ListView>(view: T, length: number): T {
  const height = Math.max(1, Math.floor(view.height));
  const cursor = length === 0 ? 0 : Math.min(Math.max(0, view.cursor), length - 1);
  let scroll = Math.min(Math.max(0, view.scroll), Math.max(0, length - height));
  if (cursor < scroll) scroll = cursor;
  if (cursor >= scroll + height) scroll = cursor - height + 1;
  if (cursor === view.cursor && scroll === view.scroll && height === view.height) return view;
  return { ...view, cursor, scroll, height };
}

/** Moves the cursor and scrolls to keep it visible. */
export function moveView<T extends ListView>(view: T, length: number, move: ListMove): T {
  const page = Math.max(1, view.height - 1);
  let cursor: number;
  switch (move.type) {
    case "by":
      cursor = view.cursor + move.rows;
      break;
    case "top":
      cursor = 0;
      break;
    case "bottom":
      cursor = length - 1;
      break;
    case "page":
      return clampView(
        { ...view, cursor: view.cursor + move.pages * page, scroll: view.scroll + move.pages * page },
        length,
      );
    case "to":
      cursor = move.row;
      break;
  }
  return clampView({ ...view, cursor }, length);
}

/** The move of a list key action (down, up, pageDown, pageUp, top, bottom); null for any other action. */
export function listMove(action: string | null): ListMove | null {
  switch (action) {
    case "down":
      return { type: "by", rows: 1 };
    case "up":
      return { type: "by", rows: -1 };
    case "pageDown":
      return { type: "page", pages: 1 };
    case "pageUp":
      return { type: "page", pages: -1 };
    case "top":
      return { type: "top" };
    case "bottom":
      return { type: "bottom" };
    default:
      return null;
  }
}
