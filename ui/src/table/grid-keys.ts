// The keyboard of the users grid, as the WAI-ARIA grid pattern says, kept free of the DOM so it
// can be tested: arrows move one cell, Home/End to the row's first/last cell (with Ctrl, to the
// first/last row), Page Up/Down by a screenful of rows.

export interface GridPosition {
  row: number;
  col: number;
}

export interface GridShape {
  rows: number;
  cols: number;
  /** Rows one Page Up/Down moves by (the rows the viewport shows). */
  page: number;
}

/** Where `key` moves focus from `at`; `null` when the key is not the grid's. */
export function gridMove(key: string, ctrl: boolean, at: GridPosition, shape: GridShape): GridPosition | null {
  if (shape.rows <= 0 || shape.cols <= 0) return null;
  const lastRow = shape.rows - 1;
  const lastCol = shape.cols - 1;
  const clampRow = (r: number): number => Math.max(0, Math.min(lastRow, r));
  switch (key) {
    case "ArrowDown":
      return { row: clampRow(at.row + 1), col: at.col };
    case "ArrowUp":
      return { row: clampRow(at.row - 1), col: at.col };
    case "ArrowRight":
      return { row: at.row, col: Math.min(lastCol, at.col + 1) };
    case "ArrowLeft":
      return { row: at.row, col: Math.max(0, at.col - 1) };
    case "Home":
      return ctrl ? { row: 0, col: 0 } : { row: at.row, col: 0 };
    case "End":
      return ctrl ? { row: lastRow, col: lastCol } : { row: at.row, col: lastCol };
    case "PageDown":
      return { row: clampRow(at.row + Math.max(1, shape.page)), col: at.col };
    case "PageUp":
      return { row: clampRow(at.row - Math.max(1, shape.page)), col: at.col };
    default:
      return null;
  }
}

/** The scroll position that brings `row` into a viewport that shows `window` now; `null` when
 * it is in view already. Mirrors `rowWindow` (window.ts), scaled scrollbars included. */
export function scrollFor(row: number, window: { first: number; count: number }, total: number, viewport: number, rowHeight: number, maxHeight: number): number | null {
  const visible = Math.max(1, Math.floor(viewport / rowHeight));
  if (row >= window.first && row < window.first + visible) return null;
  const first = row < window.first ? row : Math.max(0, row - visible + 1);
  const natural = total * rowHeight;
  if (natural <= maxHeight) return first * rowHeight;
  const range = maxHeight - viewport;
  const slots = Math.max(1, total - Math.max(1, Math.ceil(viewport / rowHeight)));
  return Math.round((first / slots) * range);
}
