"""A Mapbox Vector Tile decoder for the tests, written from the specification (2.1), independent of the
encoder in ``citywatch.geo.tiles.mvt``: protobuf wire format, then the geometry commands, the ring
winding rule (positive area in tile coordinates: exterior) and the keys/values tables."""

from __future__ import annotations

import gzip
import math
import struct
from dataclasses import dataclass, field


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(buf: bytes):
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        elif wire == 2:
            length, i = _varint(buf, i)
            value, i = buf[i : i + length], i + length
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def _packed(buf: bytes) -> list[int]:
    out, i = [], 0
    while i < len(buf):
        value, i = _varint(buf, i)
        out.append(value)
    return out


def _unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _value(buf: bytes):
    for number, _wire, value in _fields(buf):
        if number == 1:
            return value.decode("utf-8")
        if number == 2:
            return struct.unpack("<f", value)[0]
        if number == 3:
            return struct.unpack("<d", value)[0]
        if number in (4, 5):
            return value
        if number == 6:
            return _unzigzag(value)
        if number == 7:
            return bool(value)
    return None


@dataclass
class Feature:
    type: int  # 1 point, 2 line, 3 polygon
    properties: dict
    parts: list  # points: [(x, y)]; lines: [[(x, y), …]]; polygons: [[exterior, hole, …], …]


@dataclass
class Layer:
    name: str
    extent: int
    features: list = field(default_factory=list)


def _area(ring) -> float:
    return (
        sum(
            ring[k][0] * ring[(k + 1) % len(ring)][1] - ring[(k + 1) % len(ring)][0] * ring[k][1]
            for k in range(len(ring))
        )
        / 2
    )


def _geometry(gtype: int, commands: list[int]):
    x = y = 0
    i = 0
    sequences, current = [], None
    while i < len(commands):
        command = commands[i]
        i += 1
        cid, count = command & 7, command >> 3
        if cid in (1, 2):
            for _ in range(count):
                x += _unzigzag(commands[i])
                y += _unzigzag(commands[i + 1])
                i += 2
                if cid == 1:
                    current = [(x, y)]
                    sequences.append(current)
                else:
                    current.append((x, y))
        elif cid == 7:
            assert count == 1 and current is not None and len(current) >= 3, "ClosePath after a short ring"
        else:
            raise ValueError(f"command {cid}")
    if gtype == 1:
        return [p for seq in sequences for p in seq]
    if gtype == 2:
        return sequences
    polygons = []
    for ring in sequences:
        if _area(ring) > 0:
            polygons.append([ring])
        else:
            assert polygons, "an interior ring before any exterior ring"
            polygons[-1].append(ring)
    return polygons


def decode(data: bytes) -> dict[str, Layer]:
    """The layers of one tile (gzip-compressed or not)."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    layers = {}
    for number, _wire, raw in _fields(data):
        if number != 3:
            continue
        name, extent, keys, values, features = "", 4096, [], [], []
        for n, _w, v in _fields(raw):
            if n == 1:
                name = v.decode("utf-8")
            elif n == 2:
                features.append(v)
            elif n == 3:
                keys.append(v.decode("utf-8"))
            elif n == 4:
                values.append(_value(v))
            elif n == 5:
                extent = v
        layer = Layer(name, extent)
        for raw_feature in features:
            gtype, tags, commands = 0, [], []
            for n, _w, v in _fields(raw_feature):
                if n == 2:
                    tags = _packed(v)
                elif n == 3:
                    gtype = v
                elif n == 4:
                    commands = _packed(v)
            props = {keys[tags[k]]: values[tags[k + 1]] for k in range(0, len(tags), 2)}
            layer.features.append(Feature(gtype, props, _geometry(gtype, commands)))
        layers[name] = layer
    return layers


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def lonlat(z: int, x: int, y: int, px: float, py: float, extent: int = 4096) -> tuple[float, float]:
    """Tile coordinates → WGS-84."""
    n = 2**z
    fx = (x + px / extent) / n
    fy = (y + py / extent) / n
    return fx * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * fy))))
