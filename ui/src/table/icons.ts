// Stroke icons (24×24 paths) of the row actions, drawn as SVG so they need no icon font.
export const ICONS = {
  edit: "M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4",
  links: "M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1",
  trash: "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6",
} as const;
