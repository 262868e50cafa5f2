/** Marathon 1.4.12's messages for persistent (and, where they share rules, external) volumes (`Volume.scala`). */
export const PersistentVolumeMessages = {
  dotPath: "can not be one of (.,..)",
  slash: 'value must not contain "/"',
  modeRW: "does not equal RW",
  maxSizeMountOnly: "Only mount volumes can have maxSize",
  maxSizeOrder: "Max size must be larger than size",
} as const;
