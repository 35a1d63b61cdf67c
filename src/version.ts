/** This library's version, sent as `x-client-Ver` (kept equal to package.json by a test). */
export const VERSION = "0.1.0";
/** This library's name, sent as `x-client-SKU`. */
export const SKU = "mtls-pop.js";
