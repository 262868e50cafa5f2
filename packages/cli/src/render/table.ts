import Table from "cli-table3";

/** Renders rows as a borderless, aligned terminal table (cli-table3) with upper-case headers and no trailing blanks. */
export function renderTable(headers: string[], rows: (string | number)[][]): string {
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
  for (const r of rows) table.push(r.map(String));
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
