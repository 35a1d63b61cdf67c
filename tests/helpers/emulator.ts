// Starts one emulator (and a transport that trusts it) for a describe block,
// resets its faults and request log before each test, and closes both after.
import { after, before, beforeEach } from "node:test";
import { createTransport, type MtlsTransport } from "../../mod.ts";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../emulator.ts";

export interface EmulatorFixture {
  emu: Emulator;
  transport: MtlsTransport;
}

export function useEmulator(options: EmulatorOptions = {}): EmulatorFixture {
  const fixture = {} as EmulatorFixture;
  before(async () => {
    fixture.emu = await startEmulator(options);
    fixture.transport = createTransport({ caCertificates: fixture.emu.caCertificatePem });
  });
  after(async () => {
    await fixture.transport?.close();
    await fixture.emu?.close();
  });
  beforeEach(() => {
    fixture.emu.faults.clear();
    fixture.emu.requests.length = 0;
  });
  return fixture;
}
