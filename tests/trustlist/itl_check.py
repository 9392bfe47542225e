#!/usr/bin/env python3
"""An independent reader of ITL/CTL and .sgn files, written from docs/trust-lists.md alone (not
from opencapf's code), to check what `opencapf itl build` and `opencapf sgn sign` write.

    itl_check.py FILE                 an ITL or CTL: verified with its own SAST record
    itl_check.py --sgn FILE CERT.pem  a .sgn file: verified with the signer certificate

Prints a JSON summary on stdout; exits 1 (with the reason on stderr) when the file does not parse
or its signature does not verify. Standard library only; RSA verification through `openssl`.
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

DIGESTS = {1: "sha1", 2: "sha256", 3: "sha512"}
ROLES = {0: "SAST", 1: "CCM", 2: "CCM+TFTP", 3: "TFTP", 4: "CAPF", 7: "HTTPS", 21: "TVS"}
CONTAINERS = (3, 7, 9)  # SIGNER_INFO, SIGNATURE_INFO, SIGNATURE_ALGORITHM_INFO
PADDING = 13


class Bad(Exception):
    pass


def element(data, pos, end):
    if pos + 3 > end:
        raise Bad(f"element at {pos} cut short")
    tag, length = struct.unpack_from(">BH", data, pos)
    if pos + 3 + length > end:
        raise Bad(f"element at {pos} (tag {tag}) runs past {end}")
    return tag, data[pos + 3:pos + 3 + length], pos + 3 + length


def text(value):
    return value.split(b"\0", 1)[0].decode("utf-8")


def parse_header(data):
    tag, value, pos = element(data, 0, len(data))
    if tag != 1 or value != b"\x01\x02":
        raise Bad(f"VERSION is tag {tag} value {value.hex()}, expected 1.2")
    tag, value, pos = element(data, pos, len(data))
    if tag != 2 or len(value) != 2:
        raise Bad("HEADER_LENGTH missing")
    (length,) = struct.unpack(">H", value)
    if length > len(data) or length % 4:
        raise Bad(f"HEADER_LENGTH {length} is past the end or not a multiple of 4")
    header = {"length": length}
    while pos < length:
        if data[pos] == PADDING:
            pos += 1
            continue
        if data[pos] in CONTAINERS:
            tag, value, _ = element(data, pos, length)
            pos += 3
            continue
        start = pos
        tag, value, pos = element(data, pos, length)
        if tag == 28:
            header["signer_version"] = f"{value[0]}.{value[1]}"
        elif tag == 4:
            header["signer_name"] = text(value)
        elif tag == 5:
            header["serial"] = value.hex()
        elif tag == 6:
            header["issuer_name"] = text(value)
        elif tag == 8:
            header["digest"] = DIGESTS[value[0]]
        elif tag == 10:
            if value != b"\x00":
                raise Bad("signature algorithm is not RSA")
        elif tag == 11:
            header["modulus_bytes"] = {0: 64, 1: 128, 2: 256, 3: 512}[value[0]]
        elif tag == 12:
            header["signature"] = value
            header["signature_at"] = start
        elif tag == 14:
            header["filename"] = text(value)
        elif tag == 15:
            (header["timestamp"],) = struct.unpack(">I", value)
        else:
            raise Bad(f"unknown header tag {tag} at {start}")
    if len(header["signature"]) != header["modulus_bytes"]:
        raise Bad("signature size does not match SIGNATURE_MODULUS")
    return header


def parse_records(data, pos):
    records = []
    while pos < len(data):
        tag, value, _ = element(data, pos, len(data))
        if tag != 1:
            raise Bad(f"record at {pos} does not start with RECORD_LENGTH")
        (size,) = struct.unpack(">H", value)
        if pos + size > len(data):
            raise Bad(f"record at {pos} is truncated")
        record, at = {}, pos + 5
        while at < pos + size:
            tag, value, at = element(data, at, pos + size)
            record[tag] = value
        records.append(record)
        pos += size
    return records


def openssl_verify(digest, cert_pem_or_der, signed, signature, der):
    with tempfile.TemporaryDirectory() as tmp:
        cert = os.path.join(tmp, "cert")
        with open(cert, "wb") as f:
            f.write(cert_pem_or_der)
        pub = os.path.join(tmp, "pub.pem")
        subprocess.run(["openssl", "x509", "-inform", "DER" if der else "PEM", "-in", cert,
                        "-pubkey", "-noout", "-out", pub], check=True)
        for name, content in (("data", signed), ("sig", signature)):
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(content)
        result = subprocess.run(["openssl", "dgst", "-" + digest, "-verify", pub, "-signature",
                                 os.path.join(tmp, "sig"), os.path.join(tmp, "data")],
                                capture_output=True, text=True)
        return result.returncode == 0 and "Verified OK" in result.stdout


def signed_bytes(data, header):
    at = header["signature_at"]
    return data[:at] + data[at + 3 + len(header["signature"]):]


def check_list(data):
    header = parse_header(data)
    records = parse_records(data, header["length"])
    out = {"filename": header["filename"], "digest": header["digest"],
           "signer_version": header.get("signer_version"), "signer_serial": header["serial"],
           "records": []}
    signer = None
    for r in records:
        role = struct.unpack(">H", r[4])[0]
        out["records"].append({"function": ROLES.get(role, str(role)), "subject": text(r[3]),
                               "serial": r[6].hex(),
                               "certificate_sha256": hashlib.sha256(r[9]).hexdigest()})
        if role == 0 and r[6].hex() == header["serial"]:
            signer = r
    if signer is None:
        raise Bad("no SAST record has the header's serial")
    if not openssl_verify(header["digest"], signer[9], signed_bytes(data, header),
                          header["signature"], der=True):
        raise Bad("the signature does not verify")
    out["verified_by"] = text(signer[3])
    return out


def check_sgn(data, cert_path):
    header = parse_header(data)
    with open(cert_path, "rb") as f:
        cert = f.read()
    if not openssl_verify(header["digest"], cert, signed_bytes(data, header),
                          header["signature"], der=False):
        raise Bad("the signature does not verify")
    return {"filename": header["filename"], "digest": header["digest"],
            "signer_serial": header["serial"], "content_bytes": len(data) - header["length"],
            "verified": True}


def main(argv):
    try:
        if argv[1] == "--sgn":
            with open(argv[2], "rb") as f:
                result = check_sgn(f.read(), argv[3])
        else:
            with open(argv[1], "rb") as f:
                result = check_list(f.read())
    except (Bad, KeyError, IndexError, struct.error, UnicodeDecodeError) as e:
        print(f"itl_check: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
