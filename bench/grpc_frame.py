#!/usr/bin/env python3
"""Writes gRPC request bodies for h2load.

A gRPC message on the wire is a length-prefixed frame: one byte compressed
flag (0), a 4-byte big-endian length, then the protobuf bytes. h2load sends
a file as the request body (-d), so one frame per file is one call.

The protobuf is encoded by hand (python3 standard library only) for:
  mediagw.v1.SubmitImageRequest  (protos/mediagw/v1/media.proto)
      1 prompt string, 3 width int32, 4 height int32, 5 steps int32,
      8 workflow string
  grpc.health.v1.HealthCheckRequest  (empty: service "" is the default)

Usage:
  bench/grpc_frame.py submit OUT [--prompt P] [--width W] [--height H]
                                 [--steps S] [--workflow NAME]
  bench/grpc_frame.py health OUT
  bench/grpc_frame.py decode FILE   # prints the fields back (self-check)
"""
import argparse
import struct
import sys

WIRE_VARINT = 0
WIRE_LEN = 2


def varint(value):
    """Protobuf base-128 varint; negative int32 values use 10 bytes."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def key(field, wire):
    return varint((field << 3) | wire)


def field_string(field, text):
    data = text.encode("utf-8")
    return key(field, WIRE_LEN) + varint(len(data)) + data


def field_int32(field, value):
    if not -(1 << 31) <= value < (1 << 31):
        raise ValueError("int32 out of range: %d" % value)
    return key(field, WIRE_VARINT) + varint(value)


def submit_image_request(prompt, width, height, steps, workflow):
    # Fields in field-number order, as a protobuf serializer writes them.
    msg = b""
    if prompt:
        msg += field_string(1, prompt)
    if width is not None:
        msg += field_int32(3, width)  # optional: present even when 0
    if height is not None:
        msg += field_int32(4, height)
    if steps is not None:
        msg += field_int32(5, steps)
    if workflow:
        msg += field_string(8, workflow)
    return msg


def health_check_request():
    return b""  # HealthCheckRequest{service: ""} serializes to no bytes


def frame(message):
    return struct.pack(">BI", 0, len(message)) + message


def read_varint(data, pos):
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def decode(data):
    """Splits a frame back into (field, value) pairs; for the self-check."""
    if len(data) < 5:
        raise ValueError("short frame")
    flag, length = struct.unpack(">BI", data[:5])
    body = data[5:]
    if flag != 0 or length != len(body):
        raise ValueError("bad frame header: flag=%d length=%d body=%d"
                         % (flag, length, len(body)))
    fields, pos = [], 0
    while pos < len(body):
        tag, pos = read_varint(body, pos)
        field, wire = tag >> 3, tag & 7
        if wire == WIRE_VARINT:
            value, pos = read_varint(body, pos)
            if value >= 1 << 63:
                value -= 1 << 64
        elif wire == WIRE_LEN:
            size, pos = read_varint(body, pos)
            value = body[pos:pos + size].decode("utf-8")
            pos += size
        else:
            raise ValueError("unexpected wire type %d" % wire)
        fields.append((field, value))
    return fields


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    s = sub.add_parser("submit", help="SubmitImageRequest frame")
    s.add_argument("out")
    s.add_argument("--prompt", default="a lighthouse at dusk, oil painting")
    s.add_argument("--width", type=int, default=64)
    s.add_argument("--height", type=int, default=64)
    s.add_argument("--steps", type=int, default=4)
    s.add_argument("--workflow", default="default")
    h = sub.add_parser("health", help="empty HealthCheckRequest frame")
    h.add_argument("out")
    d = sub.add_parser("decode", help="print the fields of a frame file")
    d.add_argument("file")
    args = parser.parse_args(argv)

    if args.kind == "decode":
        with open(args.file, "rb") as f:
            for field, value in decode(f.read()):
                print("%d: %r" % (field, value))
        return 0
    if args.kind == "submit":
        message = submit_image_request(args.prompt, args.width, args.height,
                                       args.steps, args.workflow)
    else:
        message = health_check_request()
    with open(args.out, "wb") as f:
        f.write(frame(message))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
