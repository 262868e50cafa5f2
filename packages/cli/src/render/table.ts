import Table from "cli-table3";

/** What a table cell shows when there is no value: never a blank that reads as a missing column. */
export const NO_VALUE = "-";

/**
 * Renders rows as a borderless, aligned terminal table (cli-table3) with upper-case headers and no
 * trailing blanks; an empty cell shows `-`. With no rows and `empty` given, `empty` is returned
 * instead of a bare header ("no tasks").
 */
export function renderTable(headers: string[], rows: (string | number)[][], empty?: string): string {
  if (rows.length === 0 && empty !== undefined) return empty;
  const table = new Table({
    head: headers.map((h) => h.toUpperCase()),
    chars: {
      top: "", "top-mid": "", "top-left": "", "top-right": "",
      bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
      left: "", "left-mid": "", mid: "", "mid-mid": "",
      right: "", "right-mid": "", middle: "  ",
    },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  for (const r of rows) table.push(r.map((cell) => (cell === "" ? NO_VALUE : String(cell))));
  // cli-table3 pads the last column too; trailing blanks only get in the way of grep and diff.
  return table
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
}

/** Renders `[label, value]` pairs as aligned `LABEL  value` lines; pairs with an empty value are left out. */
export function renderKeyValues(pairs: [string, string | number | undefined][]): string {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== "");
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.toUpperCase().padEnd(width)}  ${v}`).join("\n");
}
