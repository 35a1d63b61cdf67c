/**
 * Strict DER parsing on top of asn1js: the whole input must be one complete
 * ASN.1 value, and every failure is a typed {@link MsalClientError}.
 *
 * @module
 */

import * as asn1js from "asn1js";
import { MsalClientError } from "./errors.ts";

/** Copies bytes into a fresh ArrayBuffer of exactly their length. */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

/**
 * Parses one DER value that spans the whole input.
 *
 * @param errorCode code of the error thrown when the bytes are not one value
 * @param what words for the message, e.g. "X.509 certificate"
 */
export function parseDer(der: Uint8Array, errorCode: string, what: string): asn1js.AsnType {
  if (der.length === 0) throw new MsalClientError(errorCode, `Empty input where a ${what} was expected.`);
  let parsed: ReturnType<typeof asn1js.fromBER>;
  try {
    parsed = asn1js.fromBER(toArrayBuffer(der));
  } catch (cause) {
    throw new MsalClientError(errorCode, `Not a ${what}: the DER cannot be parsed.`, { cause });
  }
  if (parsed.offset === -1 || parsed.result.error) {
    throw new MsalClientError(
      errorCode,
      `Not a ${what}: the DER cannot be parsed (${parsed.result.error || "invalid"}).`,
    );
  }
  if (parsed.offset !== der.length) {
    throw new MsalClientError(errorCode, `Not a ${what}: ${der.length - parsed.offset} bytes follow the DER value.`);
  }
  return parsed.result;
}

/** Dotted OIDs of the name attributes this library prints by short name. */
const NAME_ATTRIBUTES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "S",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "E",
};

/** One attribute of a name: its OID and its string value. */
export interface NameAttribute {
  oid: string;
  value: string;
}

/** The RDNs of an X.500 Name in DER order, each a list of attributes. */
export function nameAttributes(name: asn1js.AsnType): NameAttribute[][] {
  if (!(name instanceof asn1js.Sequence)) return [];
  return name.valueBlock.value.map((rdn) =>
    rdn instanceof asn1js.Set
      ? rdn.valueBlock.value.flatMap((atv) => {
        if (!(atv instanceof asn1js.Sequence)) return [];
        const [type, value] = atv.valueBlock.value;
        if (!(type instanceof asn1js.ObjectIdentifier)) return [];
        return [{
          oid: type.valueBlock.toString(),
          value: value instanceof asn1js.BaseStringBlock ? value.getValue() : "",
        }];
      })
      : []
  );
}

/**
 * Formats an X.500 Name (SEQUENCE OF SET OF AttributeTypeAndValue) the way
 * .NET's `X500DistinguishedName.Name` does: most specific RDN first, RDNs
 * separated by ", ", values of a multi-valued RDN joined by " + ".
 */
export function formatName(name: asn1js.AsnType): string {
  return nameAttributes(name)
    .map((rdn) =>
      rdn.map(({ oid, value }) => `${NAME_ATTRIBUTES[oid] ?? `OID.${oid}`}=${escapeNameValue(value)}`).join(" + ")
    )
    .reverse()
    .join(", ");
}

function escapeNameValue(value: string): string {
  return /[,+="\n<>#;\\]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
