import { accessSync, constants, readdirSync, realpathSync, statSync } from "node:fs";
import type { FileProbe } from "./binaries.ts";

/** The FileProbe of this machine's file system. */
export const osFileProbe: FileProbe = {
  isExecutable(file) {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  },
  realPath(file) {
    try {
      return realpathSync(file);
    } catch {
      return file;
    }
  },
  list(dir) {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
};
