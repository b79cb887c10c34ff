// Unique ids for the elements that label or describe each other (a dialog and its title, a
// field and its hint and error).
let next = 0;

export function uid(prefix: string): string {
  next += 1;
  return `${prefix}-${next}`;
}
