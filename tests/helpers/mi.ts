// Shared pieces of the managed identity tests: an application pointed at the
// emulator, a fake sleep that records the delays asked for, a capturing logger.
import {
  ConfidentialClientApplication,
  type ConfidentialClientApplicationOptions,
  type Logger,
  type LogLevel,
  ManagedIdentityApplication,
  type ManagedIdentityApplicationOptions,
  type Sleep,
} from "../../mod.ts";
import type { Emulator, EmulatorConfidentialClient } from "../../emulator.ts";

export interface FakeSleep {
  delays: number[];
  sleep: Sleep;
}

/** A sleep that returns at once and records how long it was asked to wait. */
export function fakeSleep(): FakeSleep {
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms, signal) => {
      delays.push(ms);
      return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
    },
  };
}

/** A sleep that never ends unless aborted; `entered` resolves when it is first called. */
export function blockingSleep(): { sleep: Sleep; entered: Promise<number> } {
  let enter!: (ms: number) => void;
  const entered = new Promise<number>((r) => (enter = r));
  return {
    entered,
    sleep: (ms, signal) =>
      new Promise<void>((_, reject) => {
        enter(ms);
        if (signal?.aborted) return reject(signal.reason);
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
  };
}

export interface CapturedLogger extends Logger {
  lines: Array<{ level: LogLevel; message: string }>;
  /** Resolves with the first line (already written or to come) that includes `text`. */
  waitFor(text: string): Promise<string>;
}

export function capturingLogger(level: LogLevel = "verbose", piiLoggingEnabled = false): CapturedLogger {
  const lines: CapturedLogger["lines"] = [];
  const waiters: Array<{ text: string; resolve: (line: string) => void }> = [];
  return {
    level,
    piiLoggingEnabled,
    lines,
    log(l, message) {
      lines.push({ level: l, message });
      for (const w of [...waiters]) {
        if (message.includes(w.text)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(message);
        }
      }
    },
    waitFor(text) {
      const found = lines.find((l) => l.message.includes(text));
      if (found) return Promise.resolve(found.message);
      return new Promise((resolve) => waiters.push({ text, resolve }));
    },
  };
}

/** An application that talks to the emulator, with a fake sleep unless one is given. */
export function emulatorApp(
  emu: Emulator,
  options: ManagedIdentityApplicationOptions = {},
): ManagedIdentityApplication {
  return new ManagedIdentityApplication({
    imdsEndpoint: emu.imdsEndpoint,
    caCertificates: emu.caCertificatePem,
    retry: { sleep: fakeSleep().sleep },
    ...options,
  });
}

/** A confidential client of the emulator's STS, with its certificate, a fake sleep unless one is given. */
export function emulatorConfidentialApp(
  emu: Emulator,
  client: EmulatorConfidentialClient,
  options: Partial<ConfidentialClientApplicationOptions> = {},
): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    clientId: client.clientId,
    authority: `https://login.microsoftonline.com/${emu.tenantId}`,
    certificate: { certPem: client.certificatePem, keyPem: client.privateKeyPem },
    mtlsEndpoint: emu.mtlsEndpoint,
    caCertificates: emu.caCertificatePem,
    retry: { sleep: fakeSleep().sleep },
    ...options,
  });
}
