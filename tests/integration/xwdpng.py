"""Convert an X window dump (xwd, TrueColor, 24 or 32 bits per pixel) to PNG
with the Python standard library only.

XWD format: X11 XWDFile.h (a 100-byte big-endian header of 25 CARD32 fields,
the window name, ncolors 12-byte colour entries, then the pixel rows)."""
import struct
import zlib

FIELDS = ("header_size file_version pixmap_format pixmap_depth pixmap_width pixmap_height "
          "xoffset byte_order bitmap_unit bitmap_bit_order bitmap_pad bits_per_pixel "
          "bytes_per_line visual_class red_mask green_mask blue_mask bits_per_rgb "
          "colormap_entries ncolors window_width window_height window_x window_y "
          "window_bdrwidth").split()


def _shift(mask):
    s = 0
    while mask and not mask & 1:
        mask >>= 1
        s += 1
    return s


class Image:
    """Random access to the pixels of an xwd dump without converting it all."""

    def __init__(self, data):
        if len(data) < 100:
            raise ValueError("xwd: shorter than its header")
        h = dict(zip(FIELDS, struct.unpack(">25I", data[:100])))
        if h["file_version"] != 7 or h["bits_per_pixel"] not in (24, 32):
            raise ValueError("xwd: unsupported dump")
        self.w, self.h, self.bpl = h["pixmap_width"], h["pixmap_height"], h["bytes_per_line"]
        self.off = h["header_size"] + 12 * h["ncolors"]
        if len(data) < self.off + self.bpl * self.h:
            raise ValueError("xwd: pixel data cut short")
        self.step = h["bits_per_pixel"] // 8
        self.masks = (h["red_mask"], h["green_mask"], h["blue_mask"])
        self.shifts = [_shift(m) for m in self.masks]
        self.order = "little" if h["byte_order"] == 0 else "big"
        self.data = data

    def pixel(self, x, y):
        i = self.off + y * self.bpl + x * self.step
        v = int.from_bytes(self.data[i: i + self.step], self.order)
        return tuple(((v & m) >> s) & 0xFF for m, s in zip(self.masks, self.shifts))

    def row(self, y):
        i = self.off + y * self.bpl
        return self.data[i: i + self.w * self.step]


def read_xwd(data):
    """(width, height, rows of RGB bytes)."""
    if len(data) < 100:
        raise ValueError("xwd: shorter than its header")
    h = dict(zip(FIELDS, struct.unpack(">25I", data[:100])))
    if h["file_version"] != 7:
        raise ValueError(f"xwd: file version {h['file_version']}, expected 7")
    bpp = h["bits_per_pixel"]
    if bpp not in (24, 32):
        raise ValueError(f"xwd: {bpp} bits per pixel not supported")
    w, ht, bpl = h["pixmap_width"], h["pixmap_height"], h["bytes_per_line"]
    off = h["header_size"] + 12 * h["ncolors"]
    if len(data) < off + bpl * ht:
        raise ValueError("xwd: pixel data cut short")
    masks = (h["red_mask"], h["green_mask"], h["blue_mask"])
    shifts = [_shift(m) for m in masks]
    little = h["byte_order"] == 0
    step = bpp // 8
    rows = []
    for y in range(ht):
        line = data[off + y * bpl: off + y * bpl + w * step]
        out = bytearray(3 * w)
        for x in range(w):
            px = line[x * step: x * step + step]
            v = int.from_bytes(px, "little" if little else "big")
            for c in range(3):
                out[3 * x + c] = ((v & masks[c]) >> shifts[c]) & 0xFF
        rows.append(bytes(out))
    return w, ht, rows


def write_png(path, w, h, rows):
    def chunk(tag, body):
        return (struct.pack(">I", len(body)) + tag + body +
                struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + r for r in rows)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def convert(xwd_path, png_path, crop=None):
    """crop: (x, y, w, h) or None. Returns the distinct colours seen (to tell
    a blank screen from a drawn one)."""
    with open(xwd_path, "rb") as f:
        w, h, rows = read_xwd(f.read())
    if crop:
        x, y, cw, ch = crop
        cw, ch = min(cw, w - x), min(ch, h - y)
        rows = [r[3 * x: 3 * (x + cw)] for r in rows[y: y + ch]]
        w, h = cw, ch
    colours = set()
    for r in rows[:: max(1, h // 50)]:
        for i in range(0, len(r), 3 * max(1, w // 50)):
            colours.add(r[i: i + 3])
    write_png(png_path, w, h, rows)
    return colours
