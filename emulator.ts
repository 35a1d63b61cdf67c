/**
 * The local Azure emulator: IMDSv2, the regional mTLS STS and a protected
 * resource on loopback, with a real CA, real TLS, real JWTs, a record of
 * every request and scripted faults. Develop and test against it off Azure.
 *
 * @example
 * ```ts
 * import { startEmulator } from "mtls-pop/emulator";
 * await using emu = await startEmulator();
 * console.log(emu.imdsEndpoint, emu.mtlsEndpoint, emu.resourceUrl);
 * ```
 *
 * @module
 */

export { DEFAULT_EMULATOR_IDENTITIES, startEmulator } from "./src/emulator/emulator.ts";
export type { Emulator, EmulatorConfidentialClient, EmulatorOptions } from "./src/emulator/emulator.ts";
export type { EmulatorServer, RecordedRequest } from "./src/emulator/exchange.ts";
export { FaultController } from "./src/emulator/faults.ts";
export type { EmulatorEndpoint, Fault, StsErrorName } from "./src/emulator/faults.ts";
export type { EmulatorIdentity } from "./src/emulator/imds.ts";
